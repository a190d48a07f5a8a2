using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Traffic.GatewayApi;
using k8s.Models;

namespace Infra.Mesh.Delivery.Flagger;

// flagger.app/v1beta1 (Flagger 1.44.0, charts/flagger/crds/crd.yaml): only the fields Infra sets.

/// <summary>
/// A Flagger Canary: Flagger takes over the target Deployment's rollouts. It copies the target to
/// <c>&lt;name&gt;-primary</c> (which serves all traffic), scales the target to zero, creates the Services
/// <c>&lt;name&gt;</c>, <c>&lt;name&gt;-primary</c> and <c>&lt;name&gt;-canary</c> and the mesh routes; when the target's pod
/// template (or a ConfigMap or Secret it uses) changes, it scales the target up again as the canary and runs
/// <see cref="CanarySpec.Analysis"/> (fluxcd/flagger v1.44.0 pkg/canary/deployment_controller.go, pkg/router).
/// </summary>
public sealed class Canary(V1ObjectMeta metadata, CanarySpec spec)
    : CustomResource<CanarySpec>(FlaggerApi.ApiVersion, "Canary", metadata, spec, FlaggerJson.Default);

/// <param name="AutoscalerRef">The target's HorizontalPodAutoscaler; Flagger copies it to <c>&lt;name&gt;-primary</c>.</param>
/// <param name="ProgressDeadlineSeconds">How long a canary or primary rollout may take before Flagger rolls back.</param>
public sealed record CanarySpec(
    ObjectReference TargetRef,
    ObjectReference? AutoscalerRef,
    int ProgressDeadlineSeconds,
    CanaryService Service,
    CanaryAnalysis Analysis);

public sealed record ObjectReference(string ApiVersion, string Kind, string Name);

/// <summary>
/// The port Flagger routes and how: <paramref name="Port"/> (named <paramref name="PortName"/>, with
/// <paramref name="AppProtocol"/>) on the Services it creates, plus every other container port with
/// <paramref name="PortDiscovery"/>. The rest is per mesh: Istio's route <paramref name="Timeout"/>,
/// <paramref name="Retries"/>, extra <paramref name="Hosts"/> and <paramref name="Gateways"/> and the
/// <paramref name="TrafficPolicy"/> of its DestinationRules; Gateway API's parent Service in
/// <paramref name="GatewayRefs"/> and metadata for the route it generates in <paramref name="Apex"/>.
/// </summary>
public sealed record CanaryService(
    int Port,
    string PortName,
    string AppProtocol,
    bool PortDiscovery,
    string? Timeout = null,
    HttpRetry? Retries = null,
    IReadOnlyList<string>? Hosts = null,
    IReadOnlyList<string>? Gateways = null,
    IReadOnlyList<ParentReference>? GatewayRefs = null,
    TrafficPolicy? TrafficPolicy = null,
    CustomMetadata? Apex = null);

/// <summary>Labels and annotations Flagger puts on the objects it generates.</summary>
public sealed record CustomMetadata(IReadOnlyDictionary<string, string>? Labels, IReadOnlyDictionary<string, string>? Annotations);

/// <summary>
/// Every <paramref name="Interval"/>: run the webhooks, check the metrics; after <paramref name="Threshold"/> failed checks
/// roll back. Weighted: <paramref name="StepWeight"/> more traffic per passing check up to <paramref name="MaxWeight"/>.
/// A/B (<paramref name="Match"/>): only matching requests reach the canary, for <paramref name="Iterations"/> checks.
/// </summary>
public sealed record CanaryAnalysis(
    string Interval,
    int Threshold,
    int? MaxWeight,
    int? StepWeight,
    int? Iterations,
    IReadOnlyList<RequestMatch>? Match,
    IReadOnlyList<CanaryMetric> Metrics,
    IReadOnlyList<CanaryWebhook>? Webhooks);

/// <summary>An A/B match: request headers (exact values).</summary>
public sealed record RequestMatch(IReadOnlyDictionary<string, StringMatch> Headers);

/// <summary>
/// A check: a built-in metric by <paramref name="Name"/> (<c>request-success-rate</c>, <c>request-duration</c>) or a
/// <see cref="MetricTemplate"/> by <paramref name="TemplateRef"/>, which must stay within <paramref name="ThresholdRange"/>.
/// </summary>
public sealed record CanaryMetric(string Name, string Interval, ThresholdRange ThresholdRange, TemplateReference? TemplateRef = null);

public sealed record ThresholdRange(double? Min = null, double? Max = null);

public sealed record TemplateReference(string Name, string Namespace);

/// <param name="Type"><c>pre-rollout</c> (before traffic moves; failing it fails the check), <c>rollout</c> (every interval), ...</param>
/// <param name="Timeout">How long Flagger waits for the webhook (<c>^[0-9]+(m|s)</c>).</param>
/// <param name="Metadata">For the load tester: <c>cmd</c>, and <c>type: bash</c> to run it with bash and wait for its result.</param>
public sealed record CanaryWebhook(string Name, string Type, string Url, string Timeout, IReadOnlyDictionary<string, string> Metadata);

/// <summary>A Prometheus query Flagger runs for a <see cref="CanaryMetric"/> (<c>{{ namespace }}</c>, <c>{{ target }}</c>, <c>{{ interval }}</c> filled in).</summary>
public sealed class MetricTemplate(V1ObjectMeta metadata, MetricTemplateSpec spec)
    : CustomResource<MetricTemplateSpec>(FlaggerApi.ApiVersion, "MetricTemplate", metadata, spec, FlaggerJson.Default);

public sealed record MetricTemplateSpec(MetricProvider Provider, string Query);

/// <param name="Type"><c>prometheus</c></param>
/// <param name="Address">The Prometheus URL.</param>
public sealed record MetricProvider(string Type, string Address);

public static class FlaggerApi
{
    public const string Group = "flagger.app";
    public const string ApiVersion = Group + "/v1beta1";
}
