using Infra.Mesh.Workloads;

namespace Infra.Mesh.Verification;

/// <summary>What the verification needs from a mesh: how to tell its proxy is up, and how to let a Job's pod finish.</summary>
public interface IProxyProbe
{
    /// <summary>A URL inside the pod that answers once the pod's own proxy is ready.</summary>
    string ReadinessUrl { get; }

    /// <summary>Pod-template metadata that makes the proxy exit with the Job's container (a native sidecar).</summary>
    MeshMetadata RunToCompletion { get; }
}
