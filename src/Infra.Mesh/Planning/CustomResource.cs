using k8s;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>
/// Base of the typed mesh resources (Istio, Linkerd, Gateway API, cert-manager), shaped like <c>k8s.Models</c>
/// so built-in and custom objects serialise and flow through the plan the same way.
/// </summary>
public abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta>
    where TSpec : class
{
    protected CustomResource(string apiVersion, string kind, V1ObjectMeta metadata, TSpec spec)
    {
        ApiVersion = apiVersion;
        Kind = kind;
        Metadata = metadata;
        Spec = spec;
    }

    public string ApiVersion { get; set; }

    public string Kind { get; set; }

    public V1ObjectMeta Metadata { get; set; }

    public TSpec Spec { get; set; }
}
