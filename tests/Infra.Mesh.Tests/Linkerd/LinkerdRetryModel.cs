using System.Globalization;
using System.Text.Json.Nodes;

namespace Infra.Mesh.Tests.Linkerd;

/// <summary>
/// How Linkerd's policy controller reads a route's retry annotations, ported independently of the planner from
/// linkerd2 edge-26.8.3 policy-controller/k8s/index/src/outbound/index/http.rs <c>parse_http_retry</c> and grpc.rs
/// <c>parse_grpc_retry</c>: a zero limit or timeout counts as absent; with none of the three annotations the route does
/// not retry; one condition it cannot parse makes the whole annotation an error (the route's retries are not applied).
/// </summary>
public static class LinkerdRetryModel
{
    /// <summary>A retry policy as the proxy gets it; null conditions mean Linkerd's default (5xx for HTTP).</summary>
    public sealed record Retry(int Limit, string? Timeout, IReadOnlyList<string>? Conditions);

    private static readonly string[] GrpcConditions = ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"];

    /// <summary>The HTTP retry of a route, its conditions as status ranges <c>min-max</c>; throws like the controller on a bad condition.</summary>
    public static Retry? Http(JsonNode? annotations) => Parse(annotations, "retry.linkerd.io/http", HttpCondition);

    /// <summary>The gRPC retry of a route, its conditions as lower-case gRPC status names.</summary>
    public static Retry? Grpc(JsonNode? annotations) => Parse(annotations, "retry.linkerd.io/grpc", condition =>
        GrpcConditions.FirstOrDefault(c => c.Equals(condition, StringComparison.OrdinalIgnoreCase))
        ?? throw new FormatException($"Unknown grpc retry condition: {condition}"));

    private static Retry? Parse(JsonNode? annotations, string conditionsKey, Func<string, string> condition)
    {
        var limit = (string?)annotations?["retry.linkerd.io/limit"] is { } l ? ushort.Parse(l, CultureInfo.InvariantCulture) : 0;
        var timeout = (string?)annotations?["retry.linkerd.io/timeout"] is { } t && !IsZero(t) ? t : null;
        var conditions = (string?)annotations?[conditionsKey] is { } c ? c.Split(',').Select(condition).ToList() : null;
        return limit == 0 && timeout is null && conditions is null ? null : new Retry(limit == 0 ? 1 : limit, timeout, conditions);
    }

    private static string HttpCondition(string condition)
    {
        if (condition.Equals("5xx", StringComparison.OrdinalIgnoreCase))
        {
            return "500-599";
        }

        if (condition.Equals("gateway-error", StringComparison.OrdinalIgnoreCase))
        {
            return "502-504";
        }

        if (Code(condition) is { } code)
        {
            return $"{code}-{code}";
        }

        var dash = condition.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0 && Code(condition[..dash]) is { } min && Code(condition[(dash + 1)..]) is { } max && min <= max)
        {
            return $"{min}-{max}";
        }

        throw new FormatException($"invalid retry condition: {condition}");
    }

    /// <summary>Rust's <c>str::parse::&lt;u32&gt;</c> (ASCII digits after an optional <c>+</c>), kept within 100..599.</summary>
    private static uint? Code(string text) =>
        uint.TryParse(text.StartsWith('+') ? text[1..] : text, NumberStyles.None, CultureInfo.InvariantCulture, out var code)
        && code is >= 100 and < 600 ? code : null;

    private static bool IsZero(string duration) => duration.TrimEnd('s', 'm', 'h').All(ch => ch is '0' or '.');
}
