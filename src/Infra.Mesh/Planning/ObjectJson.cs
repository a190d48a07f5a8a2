using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>The canonical JSON form of plan items, shared by the offline render and the Pulumi program.</summary>
public static class ObjectJson
{
    /// <summary>
    /// KubernetesClient's own serializer options (camelCase, nulls omitted, its converters and source-generated model
    /// metadata), read through <see cref="KubernetesJson.AddJsonOptions"/>, the library's only way to reach them (as
    /// KubeOps' <c>KubernetesJsonSerializer</c> does), and copied so nothing here changes the library's instance.
    /// </summary>
    private static readonly JsonSerializerOptions Options = KubernetesOptions();

    /// <summary>
    /// <see cref="Options"/> with a custom resource room's source-generated metadata behind KubernetesClient's, one per
    /// room (a handful), so nested built-in types (<c>V1ObjectMeta</c>) keep the library's metadata and converters.
    /// </summary>
    private static readonly ConcurrentDictionary<IJsonTypeInfoResolver, JsonSerializerOptions> WithRoom = new();

    /// <summary>An object as the API server takes it (camelCase, nulls omitted), via KubernetesClient's serializer.</summary>
    public static JsonObject Of(IKubernetesObject<V1ObjectMeta> obj) => JsonObject.Create(Element(obj))!;

    /// <summary>
    /// The same JSON as <see cref="Of(IKubernetesObject{V1ObjectMeta})"/> as a read-only element: serialized once to
    /// UTF-8 and indexed, with no node per value, which is what rendering thousands of objects needs.
    /// </summary>
    public static JsonElement Element(IKubernetesObject<V1ObjectMeta> obj) =>
        JsonSerializer.SerializeToElement(obj, OptionsFor(obj).GetTypeInfo(obj.GetType()));

    /// <summary>
    /// The same JSON as <see cref="Element(IKubernetesObject{V1ObjectMeta})"/> as UTF-8 text, without an index: what a
    /// render of thousands of objects keeps and streams (<see cref="ManifestItem.Utf8"/>).
    /// </summary>
    public static byte[] Utf8(IKubernetesObject<V1ObjectMeta> obj) =>
        JsonSerializer.SerializeToUtf8Bytes(obj, OptionsFor(obj).GetTypeInfo(obj.GetType()));

    private static JsonSerializerOptions OptionsFor(IKubernetesObject<V1ObjectMeta> obj) =>
        obj is ISourceGeneratedJson custom
            ? WithRoom.GetOrAdd(custom.JsonMetadata, room => new JsonSerializerOptions(Options)
            {
                TypeInfoResolver = JsonTypeInfoResolver.Combine(Options.TypeInfoResolver, room),
            })
            : Options;

    /// <summary>A tree (or JSON null) as UTF-8 JSON text, the form the YAML writer reads.</summary>
    public static byte[] Utf8(JsonNode? node) => Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null");

    private static JsonSerializerOptions KubernetesOptions()
    {
        JsonSerializerOptions? library = null;
        KubernetesJson.AddJsonOptions(options => library = options);
        return new JsonSerializerOptions(library!);
    }

    /// <summary>A Secret with each entry's value given by <paramref name="value"/> (a placeholder offline).</summary>
    public static JsonObject Of(SecretItem secret, Func<SecretSource, string> value)
    {
        var data = new JsonObject();
        foreach (var entry in secret.Entries)
        {
            data[entry.Key] = value(entry.Source);
        }

        var metadata = new JsonObject { ["name"] = secret.Name, ["namespace"] = secret.Namespace };
        if (!secret.Labels.IsEmpty)
        {
            metadata["labels"] = new JsonObject(secret.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => KeyValuePair.Create<string, JsonNode?>(l.Key, l.Value)));
        }

        return new JsonObject
        {
            ["apiVersion"] = V1Secret.KubeApiVersion,
            ["kind"] = V1Secret.KubeKind,
            ["metadata"] = metadata,
            ["type"] = secret.Type,
            ["stringData"] = data,
        };
    }

    /// <summary>The release's values with each secret value set at its path by <paramref name="value"/>.</summary>
    public static JsonObject Values(HelmReleaseItem release, Func<SecretSource, JsonNode> value)
    {
        var values = release.Values.DeepClone().AsObject();
        foreach (var secret in release.SecretValues)
        {
            SetPath(values, secret.Path, value(secret.Source));
        }

        return values;
    }

    /// <summary>Sets a dotted path, creating the mappings on the way.</summary>
    private static void SetPath(JsonObject root, string path, JsonNode value)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = [];
                node[part] = child;
            }

            node = child;
        }

        node[parts[^1]] = value;
    }
}
