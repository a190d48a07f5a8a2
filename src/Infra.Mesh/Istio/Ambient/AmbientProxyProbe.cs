using Infra.Mesh.Settings;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Istio.Ambient;

/// <summary>
/// Verification under ambient: a Job's pod has no proxy to wait for or stop. It is enrolled like any pod of its
/// namespace before its container starts (the istio-cni plugin's CmdAdd fails the pod sandbox when the node agent
/// cannot capture it, cni/pkg/plugin/plugin.go, 1.30.3), so its requests already leave through ztunnel with its own
/// identity. A service with a waypoint refuses an undeclared caller there with 403; one on ztunnel alone refuses the
/// connection itself (ztunnel has no HTTP to answer with), which curl reports as status 000.
/// </summary>
public sealed class AmbientProxyProbe(Waypoints waypoints) : IProxyProbe
{
    public string? ReadinessUrl => null;

    public MeshMetadata RunToCompletion => MeshMetadata.Empty;

    public Expectation Denial(ServiceSettings callee) => waypoints.Serves(callee) ? Expectation.Denied : Expectation.Refused;
}
