using System.Collections.Immutable;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Workloads;

/// <summary>Labels and annotations a mesh reads from an object.</summary>
public sealed record MeshMetadata(ImmutableSortedDictionary<string, string> Labels, ImmutableSortedDictionary<string, string> Annotations)
{
    public static MeshMetadata Empty { get; } = new(ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty);
}

/// <summary>
/// How a mesh puts its proxy into pods: through the namespace and the pod template, the places its injector
/// actually reads (never the Deployment's own metadata).
/// </summary>
public interface IInjection
{
    MeshMetadata Namespace(string name);

    /// <summary>Pod-template metadata for a service; for one with <c>inject: false</c>, <see cref="OptOut"/>.</summary>
    MeshMetadata PodTemplate(ServiceSettings service);

    /// <summary>Pod-template metadata that keeps the mesh's injector away from a pod in an injected namespace.</summary>
    MeshMetadata OptOut { get; }
    /// <summary>Labels and annotations of the service's Kubernetes Service; none unless the mesh reads some there.</summary>
    MeshMetadata Service(ServiceSettings service) => MeshMetadata.Empty;

    /// <summary>The <c>appProtocol</c> of a Service port, in the vocabulary this mesh's proxies read it in.</summary>
    string AppProtocol(ServicePort port);
}
