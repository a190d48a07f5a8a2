using System.Text.Json.Nodes;

namespace Infra.Testing.Support;

/// <summary>Shortcuts into parsed Kubernetes objects (as rendered, or as YAML parsed by <see cref="YamlJson"/>), for assertions.</summary>
public static class JsonObjects
{
    /// <summary><c>metadata.name</c>; every object has one.</summary>
    public static string Name(this JsonObject obj) => (string)obj["metadata"]!["name"]!;

    /// <summary><c>metadata.namespace</c>, or null for a cluster-scoped object.</summary>
    public static string? Namespace(this JsonObject obj) => (string?)obj["metadata"]!["namespace"];

    public static JsonObject Spec(this JsonObject obj) => obj["spec"]!.AsObject();

    public static IEnumerable<JsonObject> OfKind(this IEnumerable<JsonObject> objects, string kind) =>
        objects.Where(o => (string?)o["kind"] == kind);

    public static IEnumerable<JsonObject> In(this IEnumerable<JsonObject> objects, string ns) =>
        objects.Where(o => o.Namespace() == ns);

    /// <summary>The one object of <paramref name="kind"/> named <paramref name="name"/> (in any namespace).</summary>
    public static JsonObject Named(this IEnumerable<JsonObject> objects, string kind, string name) =>
        objects.OfKind(kind).Single(o => o.Name() == name);

    public static JsonObject Named(this IEnumerable<JsonObject> objects, string kind, string ns, string name) =>
        objects.OfKind(kind).In(ns).Single(o => o.Name() == name);

    /// <summary>The mappings of a JSON array (none when the array is absent).</summary>
    public static IEnumerable<JsonObject> Items(this JsonNode? array) => array?.AsArray().Select(n => n!.AsObject()) ?? [];

    /// <summary>The strings of a JSON array (none when the array is absent).</summary>
    public static IEnumerable<string> Strings(this JsonNode? array) => array?.AsArray().Select(n => (string)n!) ?? [];
}
