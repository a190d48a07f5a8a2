using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Infra.Mesh.Delivery.Flagger;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Delivery;

/// <summary>
/// Flagger's <c>gatewayapi:v1</c> provider on Linkerd (GAMMA): for each Canary it generates the HTTPRoute
/// <c>&lt;service&gt;</c> whose parents are <c>service.gatewayRefs</c> (here the Service <c>&lt;service&gt;</c> and its port,
/// so calling proxies apply it) with one rule weighted between the Services <c>&lt;service&gt;-primary</c> and
/// <c>&lt;service&gt;-canary</c>, the canary's timeout, and <c>service.apex</c> metadata
/// (fluxcd/flagger v1.44.0 pkg/router/gateway_api.go Reconcile).
/// </summary>
/// <remarks>
/// Flagger's built-in checks for Gateway API providers query <c>http_request_duration_seconds</c>, a metric Linkerd
/// does not have (pkg/metrics/observers/http.go), so the analysis uses metric templates over the proxies'
/// <c>response_total</c> and <c>response_latency_ms</c> in viz's Prometheus, as Flagger's Linkerd guide does
/// (docs/gitbook/tutorials/linkerd-progressive-delivery.md). Flagger and the load tester are meshed by their pod
/// annotation (the chart's default for Flagger); the chart's <c>linkerdAuthPolicy</c> authorizes Flagger on viz's Prometheus.
/// </remarks>
public sealed class LinkerdDelivery : IDeliveryMesh
{
    public const string SuccessRateTemplate = "linkerd-request-success-rate";
    public const string DurationTemplate = "linkerd-request-duration";

    /// <summary>viz's Prometheus: Service <c>prometheus</c> in the viz namespace, port 9090.</summary>
    public const string VizPrometheusUrl = "http://prometheus." + LinkerdSettings.VizNamespace + ":9090";

    public string Provider => "gatewayapi:v1";

    public string MetricsServer => VizPrometheusUrl;

    public string MetricsSourceId => HelmReleaseItem.IdOf(LinkerdSettings.VizNamespace, LinkerdObservabilityPlanner.VizRelease);

    public JsonObject FlaggerValues(StackSettings settings) => new()
    {
        ["linkerdAuthPolicy"] = new JsonObject { ["create"] = true, ["namespace"] = LinkerdSettings.VizNamespace },
    };

    /// <summary>
    /// Injection for the whole namespace, as for application namespaces: the load tester is meshed without a chart value
    /// (its <c>podAnnotations</c> default is not empty, so setting it would replace the chart's scrape annotations), and
    /// Flagger as its chart's own pod annotation asks anyway.
    /// </summary>
    public MeshMetadata Namespace(StackSettings settings) => new(
        ImmutableSortedDictionary<string, string>.Empty,
        ImmutableSortedDictionary<string, string>.Empty.Add(LinkerdInjection.InjectAnnotation, "enabled"));

    public ImmutableSortedDictionary<string, string> LoadTesterPodLabels(StackSettings settings) => ImmutableSortedDictionary<string, string>.Empty;

    public CanaryService Service(ServiceSettings service, ServicePort port, StackSettings settings)
    {
        // A streaming port's route gets neither timeout nor retries (see LinkerdTrafficPlanner).
        var retries = port.LongLived ? ImmutableSortedDictionary<string, string>.Empty : LinkerdTrafficPlanner.HttpRetryAnnotations(service);
        return new CanaryService(
            port.Port,
            port.Name,
            new LinkerdInjection(settings).AppProtocol(port),
            PortDiscovery: service.Ports.Length > 1,
            Timeout: port.LongLived ? null : service.Traffic.Timeout,
            GatewayRefs: [ParentReference.Service(service.Name, port.Port)],
            // Linkerd reads retries from annotations on the route Flagger generates.
            Apex: retries.IsEmpty ? null : new CustomMetadata(null, retries));
    }

    public IReadOnlyList<CanaryMetric> Metrics(DeliverySettings delivery) =>
    [
        new("request-success-rate", delivery.Interval, new ThresholdRange(Min: delivery.MinSuccessRate),
            new TemplateReference(SuccessRateTemplate, FlaggerNames.Namespace)),
        new("request-duration", delivery.Interval, new ThresholdRange(Max: delivery.MaxRequestDurationMs),
            new TemplateReference(DurationTemplate, FlaggerNames.Namespace)),
    ];

    /// <summary>
    /// The two templates, once, beside Flagger. <c>{{ target }}</c> is the canary's Deployment: the proxies label their
    /// metrics with the pod's Deployment, and count what the canary's own proxy received (<c>direction="inbound"</c>).
    /// </summary>
    public void Plan(PlanBuilder plan, bool loadTester)
    {
        plan.Add(StageKind.Policies, Template(SuccessRateTemplate, """
            sum(rate(response_total{namespace="{{ namespace }}", deployment=~"{{ target }}", classification!="failure", direction="inbound"}[{{ interval }}]))
            /
            sum(rate(response_total{namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound"}[{{ interval }}]))
            * 100
            """));
        plan.Add(StageKind.Policies, Template(DurationTemplate, """
            histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound"}[{{ interval }}])) by (le))
            """));
    }

    private static MetricTemplate Template(string name, string query) => new(
        new V1ObjectMeta { Name = name, NamespaceProperty = FlaggerNames.Namespace, Labels = Labels.Managed() },
        new MetricTemplateSpec(new MetricProvider("prometheus", VizPrometheusUrl), query + "\n"));
}
