using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Infra.Cli.Tests.Support;

/// <summary>A directory's files (relative path with '/' → bytes), to compare renders byte for byte.</summary>
public sealed class RenderedTree
{
    private RenderedTree(string root, SortedDictionary<string, byte[]> files)
    {
        Root = root;
        Files = files;
    }

    public string Root { get; }

    public SortedDictionary<string, byte[]> Files { get; }

    public IEnumerable<string> Paths => Files.Keys;

    public static RenderedTree Of(string root) =>
        new(root, new SortedDictionary<string, byte[]>(
            Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllBytes),
            StringComparer.Ordinal));

    public string Text(string path) => File.ReadAllText(Path.Combine(Root, path));

    /// <summary>The YAML documents of a file as JSON (scalars as strings), for assertions over parsed objects.</summary>
    public IReadOnlyList<JsonObject> Documents(string path) => Yaml.Documents(Text(path));

    /// <summary>Every object of every stage's manifests.yaml.</summary>
    public IReadOnlyList<JsonObject> Objects => [.. Paths.Where(p => p.EndsWith("/manifests.yaml", StringComparison.Ordinal)).SelectMany(Documents)];

    public bool SameAs(RenderedTree other) =>
        Files.Keys.SequenceEqual(other.Files.Keys) && Files.All(f => f.Value.AsSpan().SequenceEqual(other.Files[f.Key]));
}

public static class Yaml
{
    /// <summary>Parses every document of a YAML stream; each must be a mapping.</summary>
    public static IReadOnlyList<JsonObject> Documents(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var deserializer = new DeserializerBuilder().Build();
        parser.Consume<StreamStart>();
        var documents = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Json(deserializer.Deserialize<object>(parser))!.AsObject());
        }

        return documents;
    }

    private static JsonNode? Json(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(e => KeyValuePair.Create((string)e.Key, Json(e.Value)))),
        IList<object?> list => new JsonArray([.. list.Select(Json)]),
        _ => JsonValue.Create(value.ToString()),
    };

    public static string? Name(this JsonObject obj) => (string?)obj["metadata"]?["name"];

    public static string? Namespace(this JsonObject obj) => (string?)obj["metadata"]?["namespace"];
}
