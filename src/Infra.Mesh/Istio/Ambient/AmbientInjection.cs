using System.Collections.Immutable;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Istio.Ambient;

/// <summary>
/// Ambient enrolment: the namespace label <c>istio.io/dataplane-mode=ambient</c> makes the istio-cni node agent move
/// its pods' traffic into the node's ztunnel when each pod is created (the cni chart's <c>ambient.enablementSelectors</c>,
/// 1.30.3). Nothing is injected: the namespace carries no <c>istio.io/rev</c>, which the revision tag's injection
/// webhook selects on. A service with <c>inject: false</c> opts out with <c>istio.io/dataplane-mode=none</c> on its pods,
/// which the same selectors exclude.
/// </summary>
/// <remarks>
/// Pod templates name no revision: ztunnel is per node, so a control-plane upgrade never restarts application pods.
/// No nREPL exclusion is needed: nREPL binds 127.0.0.1, and only connections to the pod's address are redirected.
/// </remarks>
public sealed class AmbientInjection(Waypoints waypoints) : IInjection
{
    public const string DataplaneModeLabel = "istio.io/dataplane-mode";

    public MeshMetadata Namespace(string name) => new(
        ImmutableSortedDictionary<string, string>.Empty.Add(DataplaneModeLabel, "ambient"),
        ImmutableSortedDictionary<string, string>.Empty);

    public MeshMetadata PodTemplate(ServiceSettings service) => service.Injected
        ? MeshMetadata.Empty
        : OptOut;

    public MeshMetadata OptOut { get; } = new(ImmutableSortedDictionary<string, string>.Empty.Add(DataplaneModeLabel, "none"), ImmutableSortedDictionary<string, string>.Empty);

    /// <summary>A service that needs L7 sends its traffic through its namespace's waypoint; the rest stay on ztunnel.</summary>
    public MeshMetadata Service(ServiceSettings service) => waypoints.Serves(service)
        ? new MeshMetadata(ImmutableSortedDictionary<string, string>.Empty.Add(Waypoints.UseWaypointLabel, Waypoints.Name), ImmutableSortedDictionary<string, string>.Empty)
        : MeshMetadata.Empty;

    public string AppProtocol(ServicePort port) => port.AppProtocol;
}
