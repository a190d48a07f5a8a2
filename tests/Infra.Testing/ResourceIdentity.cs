using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>apiVersion/kind of a Kubernetes object split into group and version, plus a label for error messages.</summary>
internal sealed record ResourceIdentity(string ApiVersion, string Group, string Version, string Kind, string Label)
{
    public static ResourceIdentity Of(JsonObject obj)
    {
        var apiVersion = Text(obj["apiVersion"]);
        var kind = Text(obj["kind"]);
        var (group, version) = SplitApiVersion(apiVersion);
        return new ResourceIdentity(apiVersion, group, version, kind, $"{(kind.Length == 0 ? "<no kind>" : kind)} {Name(obj)}");
    }

    /// <summary>"v1" is the core group; "apps/v1" is group "apps", version "v1".</summary>
    public static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var slash = apiVersion.LastIndexOf('/');
        return slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }

    private static string Name(JsonObject obj)
    {
        var metadata = obj["metadata"] as JsonObject;
        var name = Text(metadata?["name"]);
        var ns = Text(metadata?["namespace"]);
        name = name.Length == 0 ? "<unnamed>" : name;
        return ns.Length == 0 ? name : $"{ns}/{name}";
    }

    private static string Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";
}
