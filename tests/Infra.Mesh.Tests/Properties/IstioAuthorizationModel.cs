using System.Text.Json.Nodes;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Properties;

/// <summary>
/// How Istio decides an inbound HTTP request, modelled from its documented evaluation (istio.io "Authorization Policy":
/// CUSTOM, then DENY, then ALLOW) over the rendered objects, independently of the planner. Only ALLOW policies are
/// planned: a request is allowed when no ALLOW policy applies to the workload, else when one rule of an applicable
/// policy matches it. A policy applies when it is in the workload's namespace (or the root namespace) and its
/// selector's labels are a subset of the workload's (no selector: every workload). A rule matches when one of its
/// <c>from</c> sources and one of its <c>to</c> operations match (an absent list matches anything); values match
/// exactly, or by prefix (<c>abc*</c>), suffix (<c>*abc</c>) or presence (<c>*</c>). A plain-text request has no
/// principal: no <c>principals</c> value matches it, not even <c>*</c>, and every <c>notPrincipals</c> list does (Istio
/// turns <c>*</c> into a presence match on the mTLS peer's identity).
/// </summary>
public sealed class IstioAuthorizationModel(IReadOnlyList<JsonObject> objects, string rootNamespace)
{
    /// <param name="principal">The caller's SPIFFE identity without the scheme; null for a plain-text request.</param>
    public bool Allows(string ns, IReadOnlyDictionary<string, string> workloadLabels, string? principal, string method, string path, int port)
    {
        var applicable = objects.Where(o => (string?)o["kind"] == "AuthorizationPolicy")
            .Where(p => (string?)p["metadata"]!["namespace"] is { } policyNs && (policyNs == ns || policyNs == rootNamespace))
            .Where(p => ((string?)p["spec"]?["action"] ?? "ALLOW") == "ALLOW")
            .Where(p => Selects(p["spec"]?["selector"]?["matchLabels"]?.AsObject(), workloadLabels))
            .ToList();
        return applicable.Count == 0
            || applicable.Any(p => p["spec"]?["rules"].Items().Any(rule => FromMatches(rule, principal) && ToMatches(rule, method, path, port)) == true);
    }

    private static bool Selects(JsonObject? matchLabels, IReadOnlyDictionary<string, string> labels) =>
        matchLabels is null || matchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == (string?)l.Value);

    private static bool FromMatches(JsonObject rule, string? principal) =>
        rule["from"] is not JsonArray from || from.Items().Any(f =>
            (Values(f["source"]?["principals"]) is not { } principals || (principal is not null && principals.Any(p => Match(p, principal))))
            && (Values(f["source"]?["notPrincipals"]) is not { } not || principal is null || !not.Any(p => Match(p, principal))));

    private static bool ToMatches(JsonObject rule, string method, string path, int port) =>
        rule["to"] is not JsonArray to || to.Items().Any(t =>
        {
            var operation = t["operation"];
            return (Values(operation?["methods"]) is not { } methods || methods.Any(m => Match(m, method)))
                && (Values(operation?["paths"]) is not { } paths || paths.Any(p => Match(p, path)))
                && (Values(operation?["ports"]) is not { } ports || ports.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });

    private static string[]? Values(JsonNode? node) => node is JsonArray array ? [.. array.Select(v => (string)v!)] : null;

    private static bool Match(string pattern, string value) =>
        pattern == "*" || pattern == value
        || (pattern.EndsWith('*') && value.StartsWith(pattern[..^1], StringComparison.Ordinal))
        || (pattern.StartsWith('*') && value.EndsWith(pattern[1..], StringComparison.Ordinal));
}
