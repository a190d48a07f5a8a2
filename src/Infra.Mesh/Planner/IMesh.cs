using Infra.Mesh.Observability;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Traffic;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Planner;

/// <summary>Everything where Istio and Linkerd differ, one planner per concern; the rest of planning is mesh-neutral.</summary>
public interface IMesh
{
    /// <summary>CRDs, control plane, gateways and addons, from the official Helm charts.</summary>
    IPlanner ControlPlane { get; }

    IInjection Injection { get; }

    ITrafficPlanner Traffic { get; }

    ISecurityPlanner Security { get; }

    IObservabilityPlanner Observability { get; }

    /// <summary>How the in-cluster verification tells this mesh's proxy is there.</summary>
    IProxyProbe Proxy { get; }
}
