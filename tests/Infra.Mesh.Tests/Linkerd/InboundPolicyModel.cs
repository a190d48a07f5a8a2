using System.Text.Json.Nodes;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

/// <summary>What a Linkerd proxy answers an inbound request.</summary>
public enum InboundVerdict
{
    Allowed,
    Forbidden,
    NotFound,
}

/// <summary>
/// How Linkerd decides an inbound request, modelled independently of the planner over the rendered objects: the
/// Server selecting the pod port; among its HTTPRoutes the single most specific match (Gateway API precedence: exact
/// path, then longest prefix, then a method match); then whether any AuthorizationPolicy on that route (or on the
/// Server when it has no routes) authenticates the client. A route with a path match that is not absolute counts as
/// absent, as Linkerd's policy controller ignores the whole route (linkerd2 edge-26.8.3
/// policy-controller/k8s/index/src/routes/http.rs <c>path_match</c> bails with "HttpPathMatch paths must be absolute",
/// and inbound/index.rs <c>apply_http_route</c> logs "Ignoring HTTPRoute" and drops it); Gateway API's CRD refuses such
/// a route before that (v1.5.1 HTTPRoute, <c>path</c>: "value must be an absolute path and start with '/'").
/// </summary>
public sealed class InboundPolicyModel(IReadOnlyList<JsonObject> objects)
{
    /// <summary>A client outside the mesh, e.g. kubelet probing.</summary>
    public const string Unauthenticated = "<unauthenticated>";

    /// <summary>Whether a client with mTLS identity <paramref name="client"/> (<c>sa/ns</c>) may send the request.</summary>
    public bool Allows(string ns, string server, string client, string method, string path) =>
        Decide(ns, server, client, method, path) == InboundVerdict.Allowed;

    /// <summary>
    /// What the proxy answers: the request passes, 403 for an unauthorized one, or 404 when the Server has routes and
    /// none matches (linkerd2-proxy answers an unrouted inbound request with 404, not with the 403 of a denial).
    /// </summary>
    public InboundVerdict Decide(string ns, string server, string client, string method, string path)
    {
        var routes = objects.OfKind("HTTPRoute").In(ns)
            .Where(r => r["spec"]!["parentRefs"].Items().Any(p => (string?)p["kind"] == "Server" && (string?)p["name"] == server))
            .Where(IsAccepted)
            .ToList();
        if (routes.Count == 0)
        {
            return Verdict(Authorized(ns, "Server", server, client));
        }

        var best = routes
            .SelectMany(r => r["spec"]!["rules"].Items().SelectMany(rule => rule["matches"].Items()).Select(m => (Route: r, Match: m)))
            .Where(m => Matches(m.Match, method, path))
            .OrderByDescending(m => Specificity(m.Match))
            .FirstOrDefault();
        return best.Route is null ? InboundVerdict.NotFound : Verdict(Authorized(ns, "HTTPRoute", best.Route.Name(), client));
    }

    private static InboundVerdict Verdict(bool authorized) => authorized ? InboundVerdict.Allowed : InboundVerdict.Forbidden;

    /// <summary>The Server that selects a service's port (by the pod's <c>app</c> label and the port name).</summary>
    public string ServerFor(string ns, string app, string port) => objects.OfKind("Server").In(ns)
        .Single(s => (string?)s["spec"]!["podSelector"]!["matchLabels"]?["app"] == app && (string?)s["spec"]!["port"] == port)
        .Name();

    private bool Authorized(string ns, string kind, string name, string client) => objects.OfKind("AuthorizationPolicy").In(ns)
        .Where(p => (string?)p["spec"]!["targetRef"]!["kind"] == kind && (string?)p["spec"]!["targetRef"]!["name"] == name)
        .Any(p => p["spec"]!["requiredAuthenticationRefs"].Items().All(a => Authenticates(a, ns, client)));

    private bool Authenticates(JsonObject reference, string policyNamespace, string client)
    {
        var ns = (string?)reference["namespace"] ?? policyNamespace;
        var name = (string)reference["name"]!;
        return (string?)reference["kind"] switch
        {
            "ServiceAccount" => client == $"{name}/{ns}",
            "MeshTLSAuthentication" => objects.Named("MeshTLSAuthentication", ns, name)["spec"]!["identityRefs"].Items()
                .Any(i => (string?)i["kind"] == "ServiceAccount" && client == $"{i["name"]}/{i["namespace"]}"),
            // Every client, meshed or not, comes from some network; only "all networks" is planned.
            "NetworkAuthentication" => objects.Named("NetworkAuthentication", ns, name)["spec"]!["networks"].Items()
                .Any(n => (string?)n["cidr"] is "0.0.0.0/0" or "::/0"),
            _ => false,
        };
    }

    /// <summary>Whether every Exact and PathPrefix match of the route is absolute (an absent path is the default prefix <c>/</c>).</summary>
    private static bool IsAccepted(JsonObject route) => route["spec"]!["rules"].Items().SelectMany(rule => rule["matches"].Items())
        .All(m => (string?)m["path"]?["type"] is "RegularExpression" || ((string?)m["path"]?["value"] ?? "/").StartsWith('/'));

    private static bool Matches(JsonObject match, string method, string path)
    {
        if ((string?)match["method"] is { } m && m != method)
        {
            return false;
        }

        var value = (string?)match["path"]?["value"] ?? "/";
        return (string?)match["path"]?["type"] == "Exact"
            ? path == value
            : value == "/" || path == value.TrimEnd('/') || path.StartsWith(value.TrimEnd('/') + "/", StringComparison.Ordinal);
    }

    private static (int, int, int) Specificity(JsonObject match) => (
        (string?)match["path"]?["type"] == "Exact" ? 1 : 0,
        ((string?)match["path"]?["value"] ?? "/").Length,
        match["method"] is null ? 0 : 1);
}
