using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

/// <summary>A canary version beside stable: its own tag and replicas, a share of traffic, and an opt-in header.</summary>
public sealed record CanarySettings(string Tag, int Weight, int Replicas, string HeaderName, string HeaderValue)
{
    internal static CanarySettings? Read(ConfigNode node)
    {
        if (!node.Exists)
        {
            return null;
        }

        node.IsMapping("tag", "weight", "replicas", "header");
        var header = node["header"];
        header.IsMapping("name", "value");
        return new CanarySettings(
            node["tag"].RequiredText() is not null
                ? node["tag"].Matching(Names.ImageTag(), "an image tag") ?? ""
                : "",
            node["weight"].WholeNumber(0, 0, 100),
            node["replicas"].WholeNumber(1, 1, 100),
            header["name"].Matching(Names.HeaderName(), "a lowercase HTTP header name", "x-canary"),
            header["value"].Matching(Names.HeaderValue(), "an HTTP header value: visible ASCII and inner spaces, no '|'", "always"));
    }
}

public sealed record RetrySettings(int Attempts, string PerTryTimeout, string RetryOn);

public sealed record ConnectionPoolSettings(int MaxConnections, int MaxPendingRequests, int MaxRequestsPerConnection);

public sealed record OutlierDetectionSettings(int Consecutive5xxErrors, string Interval, string BaseEjectionTime, int MaxEjectionPercent);

public sealed record TrafficSettings(string Timeout, RetrySettings Retries, ConnectionPoolSettings ConnectionPool, OutlierDetectionSettings OutlierDetection)
{
    private static readonly string[] Keys = ["timeout", "retries", "connectionPool", "outlierDetection"];

    /// <summary>
    /// The <c>traffic</c> keys the catalog or the stack's override sets for this service (<c>timeout</c>, <c>retries</c>,
    /// <c>connectionPool</c>, <c>outlierDetection</c>); the rest are defaults. Istio ambient gives a service a waypoint
    /// (an Envoy that applies them) only for what was asked for.
    /// </summary>
    public ImmutableArray<string> Declared { get; init; } = [];

    internal static TrafficSettings Read(ConfigNode node)
    {
        node.IsMapping(Keys);
        var retries = node["retries"];
        retries.IsMapping("attempts", "perTryTimeout", "retryOn");
        var pool = node["connectionPool"];
        pool.IsMapping("maxConnections", "maxPendingRequests", "maxRequestsPerConnection");
        var outlier = node["outlierDetection"];
        outlier.IsMapping("consecutive5xxErrors", "interval", "baseEjectionTime", "maxEjectionPercent");
        const string duration = "a duration such as 250ms, 5s or 1m";
        return new TrafficSettings(
            node["timeout"].Matching(Names.Duration(), duration, "10s"),
            new RetrySettings(
                retries["attempts"].WholeNumber(2, 0, 10),
                retries["perTryTimeout"].Matching(Names.Duration(), duration, "3s"),
                // Only failures where the request never reached the app: safe for non-idempotent calls too.
                retries["retryOn"].Text() ?? "connect-failure,refused-stream,unavailable"),
            new ConnectionPoolSettings(
                pool["maxConnections"].WholeNumber(100, 1, 100_000),
                pool["maxPendingRequests"].WholeNumber(100, 1, 100_000),
                pool["maxRequestsPerConnection"].WholeNumber(0, 0, 100_000)),
            new OutlierDetectionSettings(
                outlier["consecutive5xxErrors"].WholeNumber(5, 1, 1000),
                outlier["interval"].Matching(Names.Duration(), duration, "10s"),
                outlier["baseEjectionTime"].Matching(Names.Duration(), duration, "30s"),
                outlier["maxEjectionPercent"].WholeNumber(50, 1, 100)))
        {
            Declared = [.. Keys.Where(key => node[key].Exists)],
        };
    }
}
