using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;

namespace Infra.Testing.Support;

/// <summary>
/// The reference serializer for objects the plan writes: KubernetesClient's options (camelCase, nulls omitted, its
/// converters, its source-generated metadata for the built-in types) with reflection for every other type, as the
/// reflection-based KubernetesClient package serializes. The product serializes the mesh resources from
/// source-generated metadata instead (Native AOT); tests compare the two.
/// </summary>
public static class ReflectionJson
{
    private static readonly JsonSerializerOptions Options = Create();

    public static string Serialize(object value) => JsonSerializer.Serialize(value, value.GetType(), Options);

    private static JsonSerializerOptions Create()
    {
        JsonSerializerOptions? library = null;
        KubernetesJson.AddJsonOptions(options => library = options);
        return new JsonSerializerOptions(library!)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(library!.TypeInfoResolver, new DefaultJsonTypeInfoResolver()),
        };
    }
}
