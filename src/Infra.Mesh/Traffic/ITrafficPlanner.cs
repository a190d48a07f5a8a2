using Infra.Mesh.Planning;

namespace Infra.Mesh.Traffic;

/// <summary>Routing between service versions (stable/canary splits), retries, timeouts and outlier detection.</summary>
public interface ITrafficPlanner : IPlanner;
