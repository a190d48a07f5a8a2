using System.Globalization;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
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
            var rules = graph.Into(callee).Select(edge => CallRule(edge, settings.Verification)).ToList();
            if (callee.Public is { } exposed)
            {
                rules.Add(IngressRule(callee, exposed, settings.Ingress));
            }

            // An ALLOW policy without rules would deny everything, which default deny already does.
            if (rules.Count > 0)
            {
                plan.Add(StageKind.Policies, new AuthorizationPolicy(
                    Labels.Meta(callee, callee.Name),
                    new AuthorizationPolicySpec(new PolicySelector(Labels.Selector(callee)), "ALLOW", rules)));
            }
        }
    }

    private static PeerAuthentication PeerAuthentication(string ns, MtlsMode mode) =>
        new(
            new V1ObjectMeta { Name = "default", NamespaceProperty = ns, Labels = Labels.Managed() },
            new PeerAuthenticationSpec(new MutualTls(mode == MtlsMode.Strict ? "STRICT" : "PERMISSIVE")));

    /// <summary>
    /// The caller's identity, narrowed to the declared methods and paths when there are any. With verification on, a
    /// narrowed rule also admits the side-effect-free verification request (<c>GET</c> of the verification path):
    /// Istio ORs the operations of a rule's <c>to</c> list.
    /// </summary>
    private static Rule CallRule(CallEdge edge, VerificationSettings verification)
    {
        var call = edge.Call;
        var from = new List<RuleFrom> { new(new Source([CallGraph.Principal(edge.Caller)])) };
        if (call.Methods.IsEmpty && call.Paths.IsEmpty)
        {
            return new Rule(from, null);
        }

        List<RuleTo> to = [new(new Operation(null, call.Methods.IsEmpty ? null : [.. call.Methods], call.Paths.IsEmpty ? null : [.. call.Paths]))];
        var coversVerification = call.Paths.IsEmpty && (call.Methods.IsEmpty || call.Methods.Contains("GET"));
        if (verification.Enabled && !coversVerification)
        {
            to.Add(new RuleTo(new Operation(null, ["GET"], [verification.Path])));
        }

        return new Rule(from, to);
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
