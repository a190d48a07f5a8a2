using System.Globalization;

namespace Infra.Mesh.Settings;

/// <summary>How new versions of the services reach traffic (<c>infra:delivery</c>).</summary>
public enum DeliveryMode
{
    /// <summary>Deployments roll as Kubernetes rolls them; a canary is a second Deployment with a fixed weight.</summary>
    Static,

    /// <summary>Flagger moves traffic to a new version step by step while the mesh's metrics hold, and rolls back when they do not.</summary>
    Progressive,
}

/// <summary>A request header that sends a request to the canary (Flagger's A/B testing: <c>analysis.match</c>).</summary>
public sealed record HeaderMatch(string Name, string Value);

/// <summary>A check the load tester runs against the canary before any traffic moves (a pre-rollout webhook).</summary>
/// <param name="Path">An HTTP path on the canary's main port that must answer 2xx.</param>
public sealed record AcceptanceTest(string Path);

/// <summary>Load the load tester sends to the canary during each analysis interval (a rollout webhook running <c>hey</c>).</summary>
public sealed record LoadTest(string Path, int RequestsPerSecond, int Concurrency);

/// <summary>
/// One service's Flagger analysis (<c>delivery</c> in the catalog), used when the stack's <see cref="DeliveryMode"/> is
/// progressive. Each <paramref name="Interval"/> Flagger checks the canary's request success rate (at least
/// <paramref name="MinSuccessRate"/> percent non-5xx) and P99 request duration (at most
/// <paramref name="MaxRequestDurationMs"/> milliseconds); a passing check raises the canary's weight by
/// <paramref name="StepWeight"/> up to <paramref name="MaxWeight"/> (then promotes), and <paramref name="Threshold"/>
/// failed checks roll it back. With <paramref name="Header"/> the analysis is an A/B test instead: only requests
/// carrying the header reach the canary, for <paramref name="Iterations"/> intervals.
/// </summary>
/// <param name="Enabled">False keeps this service on a plain Deployment in a progressive stack.</param>
public sealed record DeliverySettings(
    bool Enabled,
    string Interval,
    int Threshold,
    int MaxWeight,
    int StepWeight,
    double MinSuccessRate,
    int MaxRequestDurationMs,
    HeaderMatch? Header,
    int Iterations,
    AcceptanceTest? AcceptanceTest,
    LoadTest? LoadTest)
{
    /// <summary>
    /// JVM-friendly defaults: a one-minute interval gives each step a full minute of traffic (the first requests of a
    /// fresh JVM run interpreted code and pay for JIT compilation and class loading, and a short window would judge
    /// only those), small steps of 10% keep a cold canary's share low, and half the traffic at most before promotion.
    /// A P99 of one second leaves room for the slow first minute without hiding a real regression.
    /// </summary>
    public const string DefaultInterval = "1m";
    public const int DefaultThreshold = 5;
    public const int DefaultMaxWeight = 50;
    public const int DefaultStepWeight = 10;
    public const double DefaultMinSuccessRate = 99;
    public const string DefaultMaxRequestDuration = "1s";
    public const int DefaultIterations = 10;
    public const int DefaultRequestsPerSecond = 10;
    public const int DefaultConcurrency = 2;

    /// <summary>
    /// Flagger names Services and selector label values <c>&lt;service&gt;-primary</c>, which must still be a DNS-1035
    /// label (at most 63 characters), so a progressive service's name may have at most this many.
    /// </summary>
    public const int MaxServiceNameLength = 63 - 8; // "-primary"

    /// <summary>The defaults, without webhooks (the catalog reader turns them on for HTTP services).</summary>
    public static DeliverySettings Default { get; } = new(
        true, DefaultInterval, DefaultThreshold, DefaultMaxWeight, DefaultStepWeight, DefaultMinSuccessRate, 1000, null, DefaultIterations, null, null);

    /// <summary>What the catalog keys of <c>delivery</c> are.</summary>
    internal static readonly string[] Keys =
    [
        "enabled", "interval", "threshold", "maxWeight", "stepWeight", "successRate", "maxRequestDuration", "header",
        "iterations", "acceptanceTest", "loadTest",
    ];

    private static readonly string[] WeightKeys = ["stepWeight", "maxWeight"];

    /// <summary>
    /// Reads a service's <c>delivery</c>. <paramref name="mainPort"/> is the port Flagger routes and analyses (the
    /// service's first HTTP, HTTP/2 or gRPC port), null when it has none; the webhooks speak HTTP (<c>curl</c>, <c>hey</c>),
    /// so they are off by default on a gRPC port and refused there when asked for.
    /// </summary>
    internal static DeliverySettings Read(ConfigNode node, ServicePort? mainPort, string readinessPath)
    {
        node.IsMapping(Keys);
        const string duration = "a duration such as 30s, 1m or 5m";
        var interval = node["interval"].Matching(Names.Duration(), duration, DefaultInterval);
        if (Names.Duration().IsMatch(interval) && Milliseconds(interval) is < 30_000 or > 1_800_000)
        {
            // Prometheus needs at least two scrapes (15 s apart on the addon) in a window to compute a rate.
            node["interval"].Error($"'{interval}' is out of range; allowed: 30s..30m (each check needs two metric scrapes in its window)");
        }

        var maxWeight = node["maxWeight"].WholeNumber(DefaultMaxWeight, 1, 100);
        var stepWeight = node["stepWeight"].WholeNumber(DefaultStepWeight, 1, 100);
        if (stepWeight > maxWeight)
        {
            node["stepWeight"].Error($"{stepWeight} is above maxWeight ({maxWeight}); allowed: 1..{maxWeight}");
        }

        var maxDuration = node["maxRequestDuration"].Matching(Names.Duration(), "a duration such as 500ms or 1s", DefaultMaxRequestDuration);
        var maxDurationMs = Names.Duration().IsMatch(maxDuration) ? Milliseconds(maxDuration) : 1000;
        if (maxDurationMs is < 1 or > 60_000)
        {
            node["maxRequestDuration"].Error($"'{maxDuration}' is out of range; allowed: 1ms..60s");
        }

        var header = ReadHeader(node);
        if (header is not null)
        {
            // An A/B test keeps everyone else on the primary; weights would be silently ignored.
            foreach (var key in WeightKeys.Where(k => node[k].Exists))
            {
                node[key].Error("applies to a weighted canary; with header the analysis is an A/B test that runs iterations instead");
            }
        }
        else if (node["iterations"].Exists)
        {
            node["iterations"].Error("applies to an A/B test only; set header too, or remove iterations");
        }

        var http = mainPort is { Protocol: PortProtocol.Http or PortProtocol.Http2 };
        return new DeliverySettings(
            node["enabled"].Bool(true),
            interval,
            node["threshold"].WholeNumber(DefaultThreshold, 1, 100),
            maxWeight,
            stepWeight,
            node["successRate"].Number(DefaultMinSuccessRate, 1, 100),
            maxDurationMs,
            header,
            node["iterations"].WholeNumber(DefaultIterations, 1, 100),
            ReadAcceptanceTest(node["acceptanceTest"], http, readinessPath),
            ReadLoadTest(node["loadTest"], http));
    }

    private static HeaderMatch? ReadHeader(ConfigNode node)
    {
        var header = node["header"];
        if (!header.Exists || !header.IsMapping("name", "value"))
        {
            return null;
        }

        var name = header["name"].RequiredText() is not null ? header["name"].Matching(Names.HeaderName(), "a lowercase HTTP header name") : null;
        var value = header["value"].RequiredText();
        return name is null || value is null ? null : new HeaderMatch(name, value);
    }

    private static AcceptanceTest? ReadAcceptanceTest(ConfigNode node, bool http, string readinessPath)
    {
        node.IsMapping("enabled", "path");
        var enabled = node["enabled"].Bool(http);
        var path = node["path"].Matching(Names.HttpPath(), "an HTTP path such as /health/ready", readinessPath);
        return Webhook(node, enabled, http) ? new AcceptanceTest(path) : null;
    }

    private static LoadTest? ReadLoadTest(ConfigNode node, bool http)
    {
        node.IsMapping("enabled", "path", "requestsPerSecond", "concurrency");
        var enabled = node["enabled"].Bool(http);
        var test = new LoadTest(
            node["path"].Matching(Names.HttpPath(), "an HTTP path such as /", "/"),
            node["requestsPerSecond"].WholeNumber(DefaultRequestsPerSecond, 1, 1000),
            node["concurrency"].WholeNumber(DefaultConcurrency, 1, 100));
        return Webhook(node, enabled, http) ? test : null;
    }

    private static bool Webhook(ConfigNode node, bool enabled, bool http)
    {
        if (enabled && !http)
        {
            node["enabled"].Error("'true' needs an http or http2 main port: the load tester runs curl and hey, which do not speak gRPC");
            return false;
        }

        return enabled;
    }

    /// <summary>
    /// What Flagger needs of a service it rolls out: request metrics, which only HTTP and gRPC traffic through the
    /// service's own mesh proxy has; no static canary beside it (Flagger owns the routes); settings its Canary can carry;
    /// and room in the name for the <c>-primary</c> Flagger appends.
    /// </summary>
    internal static void CheckProgressive(ConfigNode node, ServiceSettings service, MeshKind mesh)
    {
        const string optOut = "; or set delivery.enabled: false to keep this service static";
        if (!service.Ports.Any(p => p.IsHttp))
        {
            node["ports"].Error("has no http, http2 or grpc port: progressive delivery judges a canary by its request metrics, which TCP does not have" + optOut);
        }

        if (!service.Injected)
        {
            node["inject"].Error("'false' leaves the service without a mesh proxy, which reports the request metrics progressive delivery analyses" + optOut);
        }

        if (service.Canary is not null)
        {
            node["canary"].Error("is a static canary split, but under infra:delivery: progressive Flagger runs the canary and owns the routes; " +
                "remove canary and change image to start a rollout" + optOut);
        }

        var maxConnections = node["traffic"]["connectionPool"]["maxConnections"];
        if (mesh == MeshKind.Istio && maxConnections.Exists)
        {
            // Flagger's DestinationRules carry the Canary's trafficPolicy, whose connectionPool has no tcp in its CRD.
            maxConnections.Error("cannot be applied under progressive delivery: Flagger 1.44.0's Canary has no connectionPool.tcp; " +
                "remove it (Envoy's default applies)" + optOut);
        }

        if (service.Name.Length > MaxServiceNameLength)
        {
            node["name"].Error($"'{service.Name}' is {service.Name.Length} characters; Flagger names Services '<name>-primary', " +
                $"so a progressive service's name may have at most {MaxServiceNameLength}" + optOut);
        }
    }

    /// <summary>The analysis queries the mesh's Prometheus: the Istio addon, or viz's on Linkerd.</summary>
    internal static void CheckMetricsSource(ConfigNode node, StackSettings settings)
    {
        if (settings.Delivery != DeliveryMode.Progressive)
        {
            return;
        }

        if (settings.Mesh == MeshKind.Istio && settings.Istio.Ambient)
        {
            // Flagger's istio checks count what the destination's sidecar reports (reporter="destination",
            // fluxcd/flagger v1.44.0 pkg/metrics/observers/istio.go); ambient pods have no sidecar to report it.
            node.Error("'progressive' is not available with infra:istio.dataplane: ambient: Flagger's Istio analysis reads the request " +
                "metrics a destination sidecar reports, which ambient pods do not have; use dataplane: sidecar, or keep infra:delivery: static");
        }
        else if (settings.Mesh == MeshKind.Istio && !settings.Observability.Prometheus)
        {
            node.Error("'progressive' needs request metrics from the Prometheus addon, but infra:observability.prometheus is false; " +
                "turn it on, or keep infra:delivery: static");
        }
        else if (settings.Mesh == MeshKind.Linkerd && !settings.Linkerd.Viz)
        {
            node.Error("'progressive' needs request metrics from linkerd-viz's Prometheus, but infra:linkerd.viz is false; " +
                "turn it on, or keep infra:delivery: static");
        }
    }

    /// <summary>A duration matching <see cref="Names.Duration"/> in milliseconds.</summary>
    internal static int Milliseconds(string duration)
    {
        var unit = duration.EndsWith("ms", StringComparison.Ordinal) ? "ms" : duration[^1..];
        var factor = unit switch { "ms" => 1L, "s" => 1000L, "m" => 60_000L, _ => 3_600_000L };
        // Absurdly long durations saturate (and are then out of every range) rather than overflow.
        return long.TryParse(duration[..^unit.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= int.MaxValue
            ? (int)Math.Min(int.MaxValue, amount * factor)
            : int.MaxValue;
    }
}
