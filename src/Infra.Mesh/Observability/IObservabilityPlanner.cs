using Infra.Mesh.Planning;

namespace Infra.Mesh.Observability;

/// <summary>Mesh telemetry, metrics, traces and the service graph.</summary>
public interface IObservabilityPlanner : IPlanner;
