using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA199 (Linkerd): settings Linkerd stacks accept (they are mesh-neutral) but that this stack does not carry out.
/// Each is reported, so plan.md, the render and the Pulumi program never claim them.
/// </summary>
public sealed class HonestyRule : ISettingsRule
{
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
                    $"'{exposed.Host}' is not exposed: Linkerd has no ingress and this stack plans none; put a meshed ingress controller in front, or remove public");
            }

            if (!service.ExternalHosts.IsEmpty && service.ExternalHosts.Any(h => !h.InCluster))
            {
                context.Report(RuleCatalog.NotCarriedOut, node["externalHosts"],
                    "are not enforced: Linkerd does not restrict egress, so these (and any other) hosts are reached directly; the list only documents them");
            }

            foreach (var key in EnvoyOnly.Where(k => node["traffic"][k].Exists))
            {
                context.Report(RuleCatalog.NotCarriedOut, node["traffic"][key],
                    $"is an Istio (Envoy) setting Linkerd has no equivalent of; Linkerd's load balancer handles slow and failing endpoints by itself: remove it");
            }
        }

        var observability = context.Key("observability");
        if (observability["traceSampling"].Exists)
        {
            context.Report(RuleCatalog.NotCarriedOut, observability["traceSampling"],
                "is not wired on Linkerd: its proxy tracing needs an OpenTelemetry collector, which this stack does not install");
        }

        foreach (var key in IstioAddons.Where(k => observability[k].Exists && observability[k].Text() == "true"))
        {
            context.Report(RuleCatalog.NotCarriedOut, observability[key], $"{key} is an Istio addon and not installed on Linkerd; remove it");
        }
    }
}
