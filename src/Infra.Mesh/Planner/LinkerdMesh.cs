using Infra.Mesh.Linkerd;
using Infra.Mesh.Observability;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Planner;

/// <summary>
/// Linkerd: proxies injected by the proxy injector (pod networking by linkerd-cni), splits, timeouts and retries by
/// Gateway API routes on the Service, policy by Server and AuthorizationPolicy, observability by linkerd-viz.
/// </summary>
public sealed class LinkerdMesh(StackSettings settings) : IMesh
{
    public IPlanner ControlPlane { get; } = new LinkerdControlPlanePlanner();

    public IInjection Injection { get; } = new LinkerdInjection(settings);

    public ITrafficPlanner Traffic { get; } = new LinkerdTrafficPlanner();

    public ISecurityPlanner Security { get; } = new LinkerdSecurityPlanner();

    public IObservabilityPlanner Observability { get; } = new LinkerdObservabilityPlanner();

    public IProxyProbe Proxy { get; } = new LinkerdProxyProbe();
}
