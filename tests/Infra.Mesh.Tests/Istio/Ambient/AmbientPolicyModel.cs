using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio.Ambient;

/// <summary>What happens to a request in Istio's ambient data plane.</summary>
public enum Verdict
{
    Allowed,

    /// <summary>A waypoint's Envoy answers 403.</summary>
    Forbidden,

    /// <summary>ztunnel on the callee's node refuses the connection (no HTTP answer).</summary>
    Refused,
}

/// <summary>
/// How Istio 1.30.3 ambient decides a request, modelled over the rendered objects independently of the planner:
/// <list type="number">
/// <item>A client that addresses the Service goes through the waypoint its Service names with <c>istio.io/use-waypoint</c>
/// (a Gateway of class <c>istio-waypoint</c> in its namespace); the ingress gateway and a client dialling a pod do not.</item>
/// <item>The waypoint applies only AuthorizationPolicies with <c>targetRefs</c> naming it or the Service, with full HTTP
/// semantics, to the original caller's identity (pilot/pkg/model/policyattachment.go ShouldAttachPolicy).</item>
/// <item>ztunnel on the pod's node applies the namespace's policies without <c>targetRefs</c> (no selector, or one
/// matching the pod) to the identity of whoever opened the connection, the waypoint's when it went through one; an ALLOW
/// rule naming methods or paths never matches there (pilot/pkg/serviceregistry/ambient/authorization.go handleRule).</item>
/// </list>
/// Either enforcement point: a DENY policy that matches refuses; otherwise, when ALLOW policies apply, one must match.
/// A client outside the mesh (no principal) sends plain text straight to the pod: no waypoint sees it, and ztunnel
/// authorizes it without an identity, so a <c>principals</c> list never matches it and a <c>notPrincipals</c> list always
/// does (ztunnel 1.30.3 src/proxy/inbound_passthrough.rs, <c>src_identity: None</c>; src/rbac.rs <c>matches_principal</c>
/// fails without the <c>spiffe://</c> prefix, and <c>matches_internal</c> negates it for the negative list).
/// </summary>
public sealed class AmbientPolicyModel(IReadOnlyList<JsonObject> objects)
{
    private const string GatewayApi = "gateway.networking.k8s.io/v1";

    /// <summary>The verdict for <paramref name="principal"/> (<c>cluster.local/ns/NS/sa/SA</c>; null for plain text from outside the mesh) calling <paramref name="service"/>.</summary>
    /// <param name="viaService">False for a client that dials the pod directly (or the ingress gateway, which does so for ambient pods).</param>
    public Verdict Decide(string? principal, string ns, string service, int port, string method, string path, bool viaService = true)
    {
        var svc = objects.OfKind("Service").Single(s => s.Namespace() == ns && s.Name() == service);
        var source = principal;
        if (viaService && principal is not null && WaypointOf(svc) is { } waypoint)
        {
            var atWaypoint = Policies(ns).Where(p => Targets(p, waypoint.Name(), service)).ToList();
            if (!Permits(atWaypoint, source, port, method, path, http: true))
            {
                return Verdict.Forbidden;
            }

            // The waypoint opens the connection to the pod with its own workload identity.
            var account = (string?)waypoint["metadata"]!["annotations"]?["gateway.istio.io/service-account"] ?? waypoint.Name();
            source = $"cluster.local/ns/{ns}/sa/{account}";
        }

        var podLabels = svc.Spec()["selector"]!.AsObject();
        var atZtunnel = Policies(ns).Where(p => p.Spec()["targetRefs"] is null && Selects(p, podLabels)).ToList();
        return Permits(atZtunnel, source, port, method, path, http: false) ? Verdict.Allowed : Verdict.Refused;
    }

    /// <summary>The waypoint Gateway a Service's traffic goes through, or null when ztunnel alone serves it.</summary>
    public JsonObject? WaypointOf(JsonObject service) =>
        (string?)service["metadata"]!["labels"]?["istio.io/use-waypoint"] is { } name
            ? objects.OfKind("Gateway").SingleOrDefault(g => (string?)g["apiVersion"] == GatewayApi && g.Namespace() == service.Namespace() && g.Name() == name
                && (string?)g.Spec()["gatewayClassName"] == "istio-waypoint")
              ?? throw new InvalidOperationException($"Service {service.Namespace()}/{service.Name()} names waypoint '{name}', which does not exist: its traffic would be dropped")
            : null;

    private IEnumerable<JsonObject> Policies(string ns) => objects.OfKind("AuthorizationPolicy").Where(p => p.Namespace() == ns);

    private static bool Targets(JsonObject policy, string waypoint, string service) => policy.Spec()["targetRefs"].Items().Any(t =>
        ((string?)t["kind"], (string?)t["group"] ?? "") switch
        {
            ("Gateway", "gateway.networking.k8s.io") => (string?)t["name"] == waypoint,
            ("Service", "" or "core") => (string?)t["name"] == service,
            _ => false,
        });

    private static bool Selects(JsonObject policy, JsonObject podLabels) =>
        policy.Spec()["selector"]?["matchLabels"]?.AsObject() is not { } match
        || match.All(l => (string?)podLabels[l.Key] == (string?)l.Value);

    private static bool Permits(List<JsonObject> policies, string? source, int port, string method, string path, bool http)
    {
        if (policies.Where(p => Action(p) == "DENY").Any(p => Rules(p).Any(r => Matches(r, source, port, method, path, http, deny: true))))
        {
            return false;
        }

        var allow = policies.Where(p => Action(p) == "ALLOW").ToList();
        return allow.Count == 0 || allow.Any(p => Rules(p).Any(r => Matches(r, source, port, method, path, http, deny: false)));
    }

    private static string Action(JsonObject policy) => (string?)policy.Spec()["action"] ?? "ALLOW";

    private static IEnumerable<JsonObject> Rules(JsonObject policy) => policy.Spec()["rules"].Items();

    private static bool Matches(JsonObject rule, string? source, int port, string method, string path, bool http, bool deny)
    {
        var froms = rule["from"].Items().ToList();
        if (froms.Count > 0 && !froms.Any(f => FromMatches(f["source"]!, source)))
        {
            return false;
        }

        var tos = rule["to"].Items().Select(t => t["operation"]!.AsObject()).ToList();
        if (!http && tos.Any(o => o["methods"] is not null || o["paths"] is not null))
        {
            // ztunnel cannot see requests: such an ALLOW rule is dropped, such a DENY rule applies without its HTTP part.
            return deny;
        }

        return tos.Count == 0 || tos.Any(o =>
            (o["ports"] is null || o["ports"].Strings().Contains(port.ToString(CultureInfo.InvariantCulture)))
            && (o["methods"] is null || o["methods"].Strings().Contains(method))
            && (o["paths"] is null || o["paths"].Strings().Any(p => Glob(p, path))));
    }

    private static bool FromMatches(JsonNode source, string? principal) =>
        (source["principals"] is null || (principal is not null && source["principals"].Strings().Any(p => Glob(p, principal))))
        && (source["notPrincipals"] is null || principal is null || !source["notPrincipals"].Strings().Any(p => Glob(p, principal)));

    /// <summary>Istio's string match: exact, <c>prefix*</c>, <c>*suffix</c>, or <c>*</c>.</summary>
    private static bool Glob(string pattern, string value) => pattern switch
    {
        "*" => true,
        _ when pattern.EndsWith('*') => value.StartsWith(pattern[..^1], StringComparison.Ordinal),
        _ when pattern.StartsWith('*') => value.EndsWith(pattern[1..], StringComparison.Ordinal),
        _ => pattern == value,
    };
}
