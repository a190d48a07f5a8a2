using Infra.Mesh.Istio;
using Infra.Mesh.Observability;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Planner;

/// <summary>Istio: sidecars injected by istiod, routing by VirtualService/DestinationRule, policy by AuthorizationPolicy.</summary>
public sealed class IstioMesh(StackSettings settings) : IMesh
{
    public IPlanner ControlPlane { get; } = new IstioControlPlanePlanner();

    public IInjection Injection { get; } = new IstioInjection(settings.Istio);

    public ITrafficPlanner Traffic { get; } = new IstioTrafficPlanner();

    public ISecurityPlanner Security { get; } = new IstioSecurityPlanner();

    public IObservabilityPlanner Observability { get; } = new IstioObservabilityPlanner();

    public IProxyProbe Proxy { get; } = new IstioProxyProbe();
}
