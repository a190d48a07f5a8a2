using System.Text.Json.Nodes;
using Infra.Testing;

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

    /// <summary>The YAML documents of a file as JSON objects, for assertions over parsed objects.</summary>
    public IReadOnlyList<JsonObject> Documents(string path) => Documents(Text(path), path);

    /// <summary>The documents of a YAML stream, each of which must be a mapping (a Kubernetes object or a values file).</summary>
    public static IReadOnlyList<JsonObject> Documents(string yaml, string file) =>
        [.. YamlJson.ParseAll(yaml).Select(d => d as JsonObject ?? throw new FormatException($"{file}: a document is not a mapping"))];

    /// <summary>Every object of every stage's manifests.yaml.</summary>
    public IReadOnlyList<JsonObject> Objects => [.. Paths.Where(p => p.EndsWith("/manifests.yaml", StringComparison.Ordinal)).SelectMany(Documents)];

    public bool SameAs(RenderedTree other) =>
        Files.Keys.SequenceEqual(other.Files.Keys) && Files.All(f => f.Value.AsSpan().SequenceEqual(other.Files[f.Key]));
}
