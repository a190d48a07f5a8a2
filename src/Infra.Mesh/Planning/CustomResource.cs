using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>
/// Base of the typed mesh resources (Istio, Linkerd, Gateway API, cert-manager), shaped like <c>k8s.Models</c>
/// so built-in and custom objects serialise and flow through the plan the same way.
/// </summary>
public abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta>, ISourceGeneratedJson
    where TSpec : class
{
    private readonly IJsonTypeInfoResolver json;

    /// <param name="json">The source-generated JSON metadata of the concrete type (its room's <c>JsonSerializerContext</c>).</param>
    protected CustomResource(string apiVersion, string kind, V1ObjectMeta metadata, TSpec spec, IJsonTypeInfoResolver json)
    {
        ApiVersion = apiVersion;
        Kind = kind;
        Metadata = metadata;
        Spec = spec;
        this.json = json;
    }

    public string ApiVersion { get; set; }

    public string Kind { get; set; }

    public V1ObjectMeta Metadata { get; set; }

    public TSpec Spec { get; set; }

    // Explicit, so it is not a JSON property of the resource.
    IJsonTypeInfoResolver ISourceGeneratedJson.JsonMetadata => json;
}

/// <summary>
/// An object whose System.Text.Json metadata is source-generated outside KubernetesClient (no reflection at run time,
/// which Native AOT requires); <see cref="ObjectJson"/> serializes it with KubernetesClient's options and this metadata.
/// </summary>
public interface ISourceGeneratedJson
{
    IJsonTypeInfoResolver JsonMetadata { get; }
}
