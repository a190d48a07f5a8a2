using Infra.Mesh.Istio;
using Infra.Mesh.Istio.Ambient;
using Infra.Mesh.Observability;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Planner;

/// <summary>
/// Istio: routing by VirtualService/DestinationRule, policy by AuthorizationPolicy. With the sidecar data plane istiod
/// injects an Envoy into every pod; with the ambient one (<c>infra:istio.dataplane: ambient</c>) ztunnel carries L4 and
/// waypoints L7 only for the services that need it (<see cref="Waypoints"/>).
/// </summary>
public sealed class IstioMesh : IMesh
{
    public IstioMesh(StackSettings settings)
    {
        var waypoints = settings.Istio.Ambient ? Waypoints.Of(settings) : null;
        Injection = waypoints is null ? new IstioInjection(settings.Istio) : new AmbientInjection(waypoints);
        Traffic = new IstioTrafficPlanner(waypoints);
        Security = new IstioSecurityPlanner(waypoints);
        Proxy = waypoints is null ? new IstioProxyProbe() : new AmbientProxyProbe(waypoints);
    }

    public IPlanner ControlPlane { get; } = new IstioControlPlanePlanner();

    public IInjection Injection { get; }

    public ITrafficPlanner Traffic { get; }

    public ISecurityPlanner Security { get; }

    public IObservabilityPlanner Observability { get; } = new IstioObservabilityPlanner();

    public IProxyProbe Proxy { get; }
}
