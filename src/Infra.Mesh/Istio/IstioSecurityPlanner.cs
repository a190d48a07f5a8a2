using System.Globalization;
using Infra.Mesh.Istio.Ambient;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Istio;

/// <summary>
/// Mutual TLS mesh-wide (with per-namespace overrides) and least privilege: an allow-nothing policy in every
/// application namespace, then one ALLOW rule per declared call edge, matched on the caller's SPIFFE principal,
/// plus the ingress gateway's principal for public services.
/// </summary>
/// <remarks>
/// <para>
/// Sidecars: health and metrics need no rule: the sidecar rewrites kubelet probes to its agent on port 15020, and with
/// metrics merging Prometheus scrapes 15020 too; that port never passes the inbound Envoy listener where
/// AuthorizationPolicy is enforced, so default deny cannot break probes or scraping.
/// </para>
/// <para>
/// Ambient (<paramref name="waypoints"/> set): ztunnel enforces PeerAuthentication and every policy with a selector or
/// none, but drops an ALLOW rule that names HTTP attributes (methods, paths) altogether
/// (pilot/pkg/serviceregistry/ambient/authorization.go handleRule: "L7 policies never match for ALLOW"), while a
/// waypoint reads only policies with <c>targetRefs</c> (pilot/pkg/model/policyattachment.go: "waypoints never use
/// selector"). So a service served by a waypoint gets its call rules, methods and paths included, as a policy targeting
/// its Service, evaluated at the waypoint against the original caller's identity; on its pods ztunnel then sees the
/// waypoint's identity (the connection comes from the waypoint; istiod can synthesise exactly this rule,
/// pilot/pkg/features/ambient.go PILOT_AUTO_ALLOW_WAYPOINT_POLICY), so the selector policy allows the waypoint, not the
/// callers: a caller dialling a pod directly cannot skip the L7 rules. A service on ztunnel alone keeps principal-only
/// rules. Kubelet probes pass ztunnel untouched (istio-cni SNATs them to 169.254.7.127 and accepts that source,
/// cni/pkg/iptables/iptables.go).
/// </para>
/// </remarks>
public sealed class IstioSecurityPlanner(Waypoints? waypoints) : ISecurityPlanner
{
    public const string DefaultDenyName = "allow-nothing";

    /// <summary>The default deny of a namespace's waypoint, which namespace-wide policies do not reach.</summary>
    public const string WaypointDefaultDenyName = "allow-nothing-waypoint";

    /// <summary>Suffix of the policy a waypoint enforces for a service (the selector policy keeps the service's name).</summary>
    public const string WaypointPolicySuffix = "-waypoint";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        var security = settings.Security;
        plan.Add(StageKind.Policies, PeerAuthentication(IstioNames.RootNamespace, security.Mtls));
        // Stryker disable once Linq : the per-namespace PeerAuthentications are independent objects; their order in the plan changes nothing a cluster does.
        foreach (var (ns, mode) in security.NamespaceMtls.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            plan.Add(StageKind.Policies, PeerAuthentication(ns, mode));
        }

        if (security.DefaultDeny)
        {
            foreach (var ns in settings.Namespaces)
            {
                plan.Add(StageKind.Policies, new AuthorizationPolicy(Meta(DefaultDenyName, ns), AuthorizationPolicySpec.AllowNothing));
            }

            foreach (var ns in waypoints?.Namespaces ?? [])
            {
                plan.Add(StageKind.Policies, new AuthorizationPolicy(
                    Meta(WaypointDefaultDenyName, ns),
                    AuthorizationPolicySpec.AllowNothing with { TargetRefs = [WaypointTarget] }));
            }
        }

        var callers = CallGraph.Of(settings).Edges.ToLookup(e => e.Callee.Name, StringComparer.Ordinal);
        foreach (var callee in settings.Services)
        {
            var opened = callers[callee.Name].Where(e => e.Call.Unauthenticated).ToList();
            if (opened.Count > 0 && callee.Injected && MtlsOf(security, callee.Namespace) == MtlsMode.Strict)
            {
                plan.Add(StageKind.Policies, PlainTextPorts(callee, opened, settings));
            }

            List<Rule> rules;
            if (waypoints?.Serves(callee) == true)
            {
                // Plain text comes from outside the mesh straight to the pod: no waypoint sees it, so ztunnel's selector
                // policy carries those calls, at L4 (their ports), and the waypoint only the identified callers' rules.
                var service = new PolicyTargetReference("", "Service", callee.Name);
                plan.Add(StageKind.Policies, new AuthorizationPolicy(
                    Labels.Meta(callee, callee.Name + WaypointPolicySuffix),
                    new AuthorizationPolicySpec(null, "ALLOW", [.. callers[callee.Name].Where(e => !e.Call.Unauthenticated).Select(e => CallRule(e, settings.Verification))])
                    {
                        TargetRefs = [service],
                    }));
                rules =
                [
                    new Rule([new RuleFrom(new Source([Waypoints.Principal(callee.Namespace)]))], null),
                    .. opened.Select(e => new Rule([new RuleFrom(Source.Unauthenticated)], PortsOf(callee, e.Call) is { } ports ? [new RuleTo(new Operation(ports, null, null))] : null)),
                ];
            }
            else
            {
                rules = [.. callers[callee.Name].Select(e => CallRule(e, settings.Verification))];
            }

            if (callee.Public is { } exposed)
            {
                rules.Add(IngressRule(callee, exposed, settings.Ingress, l7: waypoints is null));
            }

            if (waypoints is not null && settings.Observability.Prometheus && (security.DefaultDeny || rules.Count > 0))
            {
                // Scrapes go to the pods, never through a waypoint; ztunnel can limit them to the port only. Where no
                // ALLOW policy or default deny applies, everything (Prometheus included) is let through already.
                var metricsPort = callee.Port(callee.Metrics.Port).Port.ToString(CultureInfo.InvariantCulture);
                rules.Add(new Rule(
                    [new RuleFrom(new Source([IstioObservabilityPlanner.PrometheusPrincipal]))],
                    [new RuleTo(new Operation([metricsPort], null, null))]));
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

    private static PolicyTargetReference WaypointTarget { get; } = new(GatewayApiGroup.Group, "Gateway", Waypoints.Name);

    private static V1ObjectMeta Meta(string name, string ns) => new() { Name = name, NamespaceProperty = ns, Labels = Labels.Managed() };

    private static PeerAuthentication PeerAuthentication(string ns, MtlsMode mode) =>
        new(Meta("default", ns), new PeerAuthenticationSpec(new MutualTls(mode == MtlsMode.Strict ? "STRICT" : "PERMISSIVE")));

    /// <summary>
    /// The caller's identity (or, for a call opened with <c>unauthenticated: true</c>, the absence of one), narrowed to
    /// the declared methods and paths when there are any. With verification on, a narrowed rule also admits the
    /// side-effect-free verification request (<c>GET</c> of the verification path): Istio ORs the operations of a
    /// rule's <c>to</c> list.
    /// </summary>
    private static Rule CallRule(CallEdge edge, VerificationSettings verification)
    {
        var call = edge.Call;
        var source = call.Unauthenticated ? Source.Unauthenticated : new Source([CallGraph.Principal(edge.Caller)]);
        List<RuleFrom> from = [new(source)];
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

    /// <summary>The namespace's mode, else the mesh-wide one (Istio's PeerAuthentication precedence).</summary>
    private static MtlsMode MtlsOf(SecuritySettings security, string ns) => security.NamespaceMtls.GetValueOrDefault(ns, security.Mtls);

    /// <summary>
    /// The ports a plain-text call may reach: a call restricted to methods or paths only the HTTP ports (an HTTP
    /// attribute never matches on a TCP port), else every port; null means every port.
    /// </summary>
    private static List<string>? PortsOf(ServiceSettings callee, CallSettings call) =>
        call.Methods.IsEmpty && call.Paths.IsEmpty
            ? null
            : [.. callee.Ports.Where(p => p.IsHttp).Select(p => p.Port.ToString(CultureInfo.InvariantCulture))];

    /// <summary>
    /// Under STRICT mTLS the callee's proxy resets plain-text connections before authorization is evaluated, so the
    /// ports an opened call reaches get PERMISSIVE port-level mTLS on the callee's pods only (workload-specific
    /// PeerAuthentication wins over the namespace's and the mesh's; <c>mtls</c> is left out, so every other port
    /// keeps the inherited STRICT). <c>portLevelMtls</c> keys are the pods' container ports, which are the catalog's.
    /// </summary>
    private static PeerAuthentication PlainTextPorts(ServiceSettings callee, List<CallEdge> opened, StackSettings settings)
    {
        // Stryker disable once Linq : portLevelMtls is a map keyed by port; the order of its keys changes nothing Istio does.
        var ports = opened.SelectMany(e => e.PlainTextPorts.Select(p => p.Port.ToString(CultureInfo.InvariantCulture)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        return new PeerAuthentication(
            Labels.Meta(callee, callee.Name),
            new PeerAuthenticationSpec(
                null,
                new PolicySelector(FlaggerNames.PolicySelector(callee, settings)),
                ports.ToDictionary(p => p, _ => new MutualTls("PERMISSIVE"), StringComparer.Ordinal)));
    }

    /// <summary>
    /// The ingress gateway reaches a public service only on its routed port and, where its proxy sees requests
    /// (<paramref name="l7"/>: a sidecar), only on the public paths. In ambient the gateway sends straight to the pods
    /// (no waypoint) and ztunnel would drop a rule with paths; the gateway's own routes forward only the public paths.
    /// </summary>
    private static Rule IngressRule(ServiceSettings service, PublicSettings exposed, IngressSettings ingress, bool l7)
    {
        var port = service.HttpPort.Port.ToString(CultureInfo.InvariantCulture);
        var paths = l7 ? exposed.PathPrefixes.SelectMany(PathPatterns).Distinct(StringComparer.Ordinal).ToList() : null;
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
