using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Linkerd;

public sealed class LinkerdProxyProbe : IProxyProbe
{
    /// <summary>The proxy's admin port (4191) in the pod's network namespace.</summary>
    public string ReadinessUrl => "http://localhost:4191/ready";

    /// <summary>Nothing to add: the control-plane chart injects native sidecars by default (<c>proxy.nativeSidecar: true</c>).</summary>
    public MeshMetadata RunToCompletion => MeshMetadata.Empty;
}
