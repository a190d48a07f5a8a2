using System.Globalization;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Istio;

/// <summary>
/// Mutual TLS mesh-wide (with per-namespace overrides) and least privilege: an allow-nothing policy in every
/// application namespace, then one ALLOW rule per declared call edge, matched on the caller's SPIFFE principal,
/// plus the ingress gateway's principal for public services.
/// </summary>
/// <remarks>
/// Health and metrics need no rule: the sidecar rewrites kubelet probes to its agent on port 15020, and with
/// metrics merging Prometheus scrapes 15020 too; that port never passes the inbound Envoy listener where
/// AuthorizationPolicy is enforced, so default deny cannot break probes or scraping.
/// </remarks>
public sealed class IstioSecurityPlanner : ISecurityPlanner
{
    public const string DefaultDenyName = "allow-nothing";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        var security = settings.Security;
        plan.Add(StageKind.Policies, PeerAuthentication(IstioNames.RootNamespace, security.Mtls));
        foreach (var (ns, mode) in security.NamespaceMtls.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            plan.Add(StageKind.Policies, PeerAuthentication(ns, mode));
        }

        if (security.DefaultDeny)
        {
            foreach (var ns in settings.Namespaces)
            {
                plan.Add(StageKind.Policies, new AuthorizationPolicy(
                    new V1ObjectMeta { Name = DefaultDenyName, NamespaceProperty = ns, Labels = Labels.Managed() },
                    AuthorizationPolicySpec.AllowNothing));
            }
        }

        var graph = CallGraph.Of(settings);
        foreach (var callee in settings.Services)
        {
            var rules = graph.Into(callee).Select(CallRule).ToList();
            if (callee.Public is { } exposed)
            {
                rules.Add(IngressRule(callee, exposed, settings.Ingress));
            }

            // Where anything is denied (default deny, or an ALLOW policy that the callers' rules already make), Flagger's
            // load tester needs its own rule; adding one where nothing is denied would start denying everyone else.
            var testerPaths = FlaggerNames.LoadTesterPaths(callee, settings);
            if (testerPaths.Count > 0 && (rules.Count > 0 || security.DefaultDeny))
            {
                rules.Add(new Rule(
                    [new RuleFrom(new Source([CallGraph.Principal(FlaggerNames.Namespace, FlaggerNames.LoadTester)]))],
                    [new RuleTo(new Operation([callee.HttpPort.Port.ToString(CultureInfo.InvariantCulture)], ["GET"], testerPaths))]));
            }

            // An ALLOW policy without rules would deny everything, which default deny already does. Under progressive
            // delivery it selects the primary's pods and the canary's alike (Flagger relabels only app).
            if (rules.Count > 0)
            {
                plan.Add(StageKind.Policies, new AuthorizationPolicy(
                    Labels.Meta(callee, callee.Name),
                    new AuthorizationPolicySpec(new PolicySelector(FlaggerNames.PolicySelector(callee, settings)), "ALLOW", rules)));
            }
        }
    }

    private static PeerAuthentication PeerAuthentication(string ns, MtlsMode mode) =>
        new(
            new V1ObjectMeta { Name = "default", NamespaceProperty = ns, Labels = Labels.Managed() },
            new PeerAuthenticationSpec(new MutualTls(mode == MtlsMode.Strict ? "STRICT" : "PERMISSIVE")));

    /// <summary>The caller's identity, narrowed to the declared methods and paths when there are any.</summary>
    private static Rule CallRule(CallEdge edge)
    {
        var call = edge.Call;
        var operation = call.Methods.IsEmpty && call.Paths.IsEmpty
            ? null
            : new Operation(null, call.Methods.IsEmpty ? null : [.. call.Methods], call.Paths.IsEmpty ? null : [.. call.Paths]);
        return new Rule([new RuleFrom(new Source([CallGraph.Principal(edge.Caller)]))], operation is null ? null : [new RuleTo(operation)]);
    }

    /// <summary>The ingress gateway reaches a public service only on its routed port and public paths.</summary>
    private static Rule IngressRule(ServiceSettings service, PublicSettings exposed, IngressSettings ingress)
    {
        var port = service.HttpPort.Port.ToString(CultureInfo.InvariantCulture);
        var paths = exposed.PathPrefixes.SelectMany(PathPatterns).Distinct(StringComparer.Ordinal).ToList();
        return new Rule(
            [new RuleFrom(new Source([IstioNames.IngressGatewayPrincipal(ingress)]))],
            [new RuleTo(new Operation([port], null, paths))]);
    }

    /// <summary>A route prefix as authorization paths (exact or trailing <c>*</c>): the prefix itself and everything below it.</summary>
    private static IEnumerable<string> PathPatterns(string prefix)
    {
        var trimmed = prefix.TrimEnd('/');
        return trimmed.Length == 0 ? ["/*"] : [trimmed, trimmed + "/*"];
    }
}
