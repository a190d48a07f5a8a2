using System.Collections.Immutable;

namespace Infra.Mesh.Verification;

/// <summary>A namespaced object a live check looks for.</summary>
public sealed record NamespacedName(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>
/// What a healthy control plane of the planned version looks like in the cluster, for <c>infra verify</c>: its
/// Deployments (all replicas ready), its admission webhooks, and how an injected pod shows its proxy and the proxy's version.
/// </summary>
/// <param name="Deployments">Control-plane Deployments that must be fully ready.</param>
/// <param name="MutatingWebhooks">MutatingWebhookConfigurations (the proxy injector) that must exist.</param>
/// <param name="ValidatingWebhooks">ValidatingWebhookConfigurations that must exist.</param>
/// <param name="ProxyContainer">The name of the injected proxy container (a native sidecar: among the init containers); null when pods carry none (ambient).</param>
/// <param name="ProxyVersion">The version every proxy must run.</param>
/// <param name="ProxyVersionAnnotation">The pod annotation the injector writes the proxy's version to; null when the version is read from the proxy image's tag.</param>
public sealed record LiveExpectation(
    ImmutableArray<NamespacedName> Deployments,
    ImmutableArray<string> MutatingWebhooks,
    ImmutableArray<string> ValidatingWebhooks,
    string? ProxyContainer,
    string ProxyVersion,
    string? ProxyVersionAnnotation)
{
    /// <summary>
    /// Where pods carry no proxy (<see cref="ProxyContainer"/> null, ambient): the annotation, and its value, that shows
    /// a pod's traffic is redirected to the node proxy.
    /// </summary>
    public (string Key, string Value)? EnrolledAnnotation { get; init; }
}
