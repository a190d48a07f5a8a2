using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>The <c>apiVersion</c> and <c>kind</c> of KubernetesClient's built-in models, read once per type.</summary>
public static class ModelMetadata
{
    private static readonly ConcurrentDictionary<Type, (string ApiVersion, string Kind)> ByType = new();

    /// <summary>
    /// Sets <c>apiVersion</c> and <c>kind</c> from the type's <see cref="KubernetesEntityAttribute"/>, as KubernetesClient's
    /// <c>Initialize()</c> does (ModelExtensions.cs); that one reads the attribute on every call, which under Native AOT
    /// parses type metadata each time (3 % of planning 1,000 Linkerd services). The same values, read once per type.
    /// </summary>
    /// <returns><paramref name="obj"/>.</returns>
    public static T WithApiVersionAndKind<T>(this T obj)
        where T : IKubernetesObject
    {
        var (apiVersion, kind) = ByType.GetOrAdd(typeof(T), static type => Read(type));
        obj.ApiVersion = apiVersion;
        obj.Kind = kind;
        return obj;
    }

    private static (string ApiVersion, string Kind) Read(Type type)
    {
        var entity = type.GetKubernetesTypeMetadata()
            ?? throw new InvalidOperationException($"{type.Name} has no KubernetesEntity attribute");
        return (string.IsNullOrEmpty(entity.Group) ? entity.ApiVersion : $"{entity.Group}/{entity.ApiVersion}", entity.Kind ?? type.Name);
    }
}
