using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Verification;

/// <summary>What the verification needs from a mesh: how to tell its proxy is up, and how to let a Job's pod finish.</summary>
public interface IProxyProbe
{
    /// <summary>A URL inside the pod that answers once the pod's own proxy is ready; null when the pod has no proxy of its own.</summary>
    string? ReadinessUrl { get; }

    /// <summary>How a request from an identity no policy allows fails at <paramref name="callee"/>.</summary>
    Expectation Denial(ServiceSettings callee) => Expectation.Denied;

    /// <summary>Pod-template metadata that makes the proxy exit with the Job's container (a native sidecar).</summary>
    MeshMetadata RunToCompletion { get; }
}
