using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Istio.Resources;

/// <summary>telemetry.istio.io/v1: metrics, tracing and access logging; in the root namespace it applies mesh-wide.</summary>
public sealed class Telemetry(V1ObjectMeta metadata, TelemetrySpec spec)
    : CustomResource<TelemetrySpec>("telemetry.istio.io/v1", "Telemetry", metadata, spec, IstioJson.Default);

public sealed record TelemetrySpec(IReadOnlyList<MetricsConfig> Metrics, IReadOnlyList<TracingConfig> Tracing, IReadOnlyList<AccessLoggingConfig> AccessLogging);

public sealed record ProviderRef(string Name);

public sealed record MetricsConfig(IReadOnlyList<ProviderRef> Providers);

/// <param name="Providers">Null: the mesh's default tracing provider (none unless a collector is configured).</param>
public sealed record TracingConfig(IReadOnlyList<ProviderRef>? Providers, double RandomSamplingPercentage);

public sealed record AccessLoggingConfig(IReadOnlyList<ProviderRef> Providers, bool Disabled);
