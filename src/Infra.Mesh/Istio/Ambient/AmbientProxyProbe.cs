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

    public CheckKind Denial(ServiceSettings callee) => waypoints.Serves(callee) ? CheckKind.Denied : CheckKind.Refused;

    /// <summary>
    /// ztunnel has no HTTP: it forwards bytes or closes the connection, so any HTTP response came from the callee (or
    /// from its waypoint, whose local replies are 5xx, or its RBAC 403, both excluded by the status and denial rules).
    /// </summary>
    public string ForwardedEvidence => "true";

    /// <summary>A waypoint is an Envoy: its RBAC filter answers 403 <c>RBAC: access denied</c> (see <see cref="IstioProxyProbe"/>).</summary>
    public string DeniedEvidence => new IstioProxyProbe().DeniedEvidence;

    /// <summary>ztunnel refuses by closing the connection: no HTTP response.</summary>
    public string RefusedEvidence => "[ \"$code\" = 000 ]";

    public bool Refuses(StackSettings settings, ServiceSettings service, bool called) => new IstioProxyProbe().Refuses(settings, service, called);

    /// <summary>
    /// istiod as with sidecars; pods carry no proxy container (ztunnel on the node serves them). A pod is in the mesh
    /// once the istio-cni node agent has set up its redirection and annotated it <c>ambient.istio.io/redirection:
    /// enabled</c> (istio/istio 1.30.3 pkg/config/constants <c>AmbientRedirection</c>, written by
    /// cni/pkg/util/podutil.go <c>AnnotateEnrolledPod</c>); without it the pod's traffic bypasses ztunnel.
    /// </summary>
    public LiveExpectation Live(StackSettings settings) => new IstioProxyProbe().Live(settings) with
    {
        ProxyContainer = null,
        EnrolledAnnotation = ("ambient.istio.io/redirection", "enabled"),
    };
}
