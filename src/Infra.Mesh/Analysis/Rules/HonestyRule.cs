using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA198 and INFRA199 (Linkerd): settings Linkerd stacks accept (they are mesh-neutral) but that this stack does
/// not carry out. Each is reported, so plan.md, the render and the Pulumi program never claim them.
/// INFRA199 covers what takes a promise of the stack away: a <c>public</c> host (Linkerd has no ingress and this stack
/// plans none, so the host is not on the internet) and <c>externalHosts</c> outside the cluster (Linkerd does not
/// restrict egress, where prod on Istio must be <c>REGISTRY_ONLY</c>): an error in prod, so switching a prod stack's
/// mesh cannot take its API offline or open its egress with a green CI. INFRA198 covers Istio-only tuning that simply
/// has no effect (a warning everywhere).
/// </summary>
public sealed class HonestyRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.IstioOnlySetting, RuleCatalog.NotCarriedOut];

    public IReadOnlyList<string> Reads { get; } = ["observability"];

    private static readonly string[] EnvoyOnly = ["outlierDetection", "connectionPool"];
    private static readonly string[] IstioAddons = ["jaeger", "kiali"];

    public void Check(RuleContext context)
    {
        if (context.Settings.Mesh != MeshKind.Linkerd)
        {
            return;
        }

        foreach (var service in context.Settings.Services)
        {
            var node = context.Service(service);
            if (service.Public is { } exposed)
            {
                context.Report(RuleCatalog.NotCarriedOut, node["public"],
                    $"'{exposed.Host}' is not exposed: Linkerd has no ingress and this stack plans none; use infra:mesh: istio, or expose it through a meshed "
                    + "ingress controller installed outside this stack and remove public here (public: ~ in this stack's serviceOverrides)");
            }

            if (!service.ExternalHosts.IsEmpty && service.ExternalHosts.Any(h => !h.InCluster))
            {
                context.Report(RuleCatalog.NotCarriedOut, node["externalHosts"],
                    "are not enforced: Linkerd does not restrict egress, so these (and any other) hosts are reached directly; the list only documents them "
                    + "(and sets skip ports for TCP hosts outside Linkerd's default opaque ports); use infra:mesh: istio to restrict egress, or accept open "
                    + "egress by removing them in this stack's serviceOverrides (externalHosts: ~), which drops those skip ports too, so only when every TCP host's port is opaque by default");
            }

            foreach (var key in EnvoyOnly.Where(k => node["traffic"][k].Exists))
            {
                context.Report(RuleCatalog.IstioOnlySetting, node["traffic"][key],
                    $"is an Istio (Envoy) setting Linkerd has no equivalent of; Linkerd's load balancer handles slow and failing endpoints by itself: remove it");
            }
        }

        var observability = context.Key("observability");
        if (observability["traceSampling"].Exists)
        {
            context.Report(RuleCatalog.IstioOnlySetting, observability["traceSampling"],
                "is not wired on Linkerd: its proxy tracing needs an OpenTelemetry collector, which this stack does not install");
        }

        foreach (var key in IstioAddons.Where(k => observability[k].Exists && observability[k].Text() == "true"))
        {
            context.Report(RuleCatalog.IstioOnlySetting, observability[key], $"{key} is an Istio addon and not installed on Linkerd; remove it");
        }
    }
}
