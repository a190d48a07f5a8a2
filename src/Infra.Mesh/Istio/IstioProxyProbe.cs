using System.Collections.Immutable;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Istio;

public sealed class IstioProxyProbe : IProxyProbe
{
    /// <summary>The sidecar's status port (15021) in the pod's network namespace.</summary>
    public string ReadinessUrl => "http://localhost:15021/healthz/ready";

    /// <summary>Istio's per-pod switch to a native sidecar (an init container that stops with the main container).</summary>
    public MeshMetadata RunToCompletion { get; } = new(
        ImmutableSortedDictionary<string, string>.Empty,
        ImmutableSortedDictionary<string, string>.Empty.Add("sidecar.istio.io/nativeSidecar", "true"));
}
