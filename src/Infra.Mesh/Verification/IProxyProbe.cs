using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Verification;

/// <summary>
/// What the verification needs from a mesh: how to tell its proxy is up, how to let a Job's pod finish, and how to
/// tell from a response who produced it. The evidence members are POSIX shell conditions over <c>$code</c> (curl's
/// status, <c>000</c> when no HTTP response came), <c>$h</c> (a file with the response headers, lowercased) and
/// <c>$b</c> (a file with the body); see <see cref="VerificationScript"/>.
/// </summary>
public interface IProxyProbe
{
    /// <summary>A URL inside the pod that answers once the pod's own proxy is ready; null when the pod has no proxy of its own.</summary>
    string? ReadinessUrl { get; }

    /// <summary>How a request from an identity no policy allows fails at <paramref name="callee"/>: refused by its proxy
    /// (<see cref="CheckKind.Denied"/>), or, where only a node proxy stands in front of it, its connection closed (<see cref="CheckKind.Refused"/>).</summary>
    CheckKind Denial(ServiceSettings callee) => CheckKind.Denied;

    /// <summary>Pod-template metadata that makes the proxy exit with the Job's container (a native sidecar).</summary>
    MeshMetadata RunToCompletion { get; }

    /// <summary>True when a proxy forwarded the response from upstream rather than replying itself (no route, no healthy endpoint, a timeout).</summary>
    string ForwardedEvidence { get; }

    /// <summary>True when the callee's proxy refused the request for lack of authorization, the way the mesh documents it.</summary>
    string DeniedEvidence { get; }

    /// <summary>True when a callee's proxy refused the connection: a plain-text request from outside the mesh (mTLS required), or an undeclared identity at a node proxy.</summary>
    string RefusedEvidence { get; }

    /// <summary>Whether an identity that no declaration names is refused by <paramref name="service"/>'s proxy, so a denied check applies.</summary>
    /// <param name="called">Whether any declared call goes to the service.</param>
    bool Refuses(StackSettings settings, ServiceSettings service, bool called);

    /// <summary>What the planned control plane and its proxies look like in a cluster (for <c>infra verify</c>).</summary>
    LiveExpectation Live(StackSettings settings);
}
