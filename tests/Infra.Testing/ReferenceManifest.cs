using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Infra.Testing;

/// <summary>One text replacement of a normalization: <see cref="Text"/> occurs exactly <see cref="Count"/> times upstream.</summary>
public sealed record ReferenceReplacement(string Text, string With, int Count);

/// <summary>How the stored form of some files differs from the upstream bytes, and why (what upstream's release does).</summary>
public sealed record ReferenceNormalization(string Why, IReadOnlyList<ReferenceReplacement> Replace);

/// <summary>
/// One file of the reference data: stored at <see cref="Path"/> (relative, '/'-separated) in a reference directory,
/// downloaded from <see cref="Url"/>, the raw <see cref="UpstreamPath"/> of <see cref="Repository"/> at <see cref="Tag"/>.
/// Verified by <see cref="Sha256"/> (hex, of the stored bytes) when the stored bytes are byte-stable, otherwise by the
/// names of the CustomResourceDefinitions it must define (<see cref="Crds"/>).
/// </summary>
public sealed record ReferenceFile(
    string Path,
    string Repository,
    string Tag,
    string UpstreamPath,
    string Url,
    string? Sha256 = null,
    string? Normalization = null,
    IReadOnlyList<string>? Crds = null);

/// <summary>
/// The committed list of upstream files the tests read (<c>reference-data.json</c>, embedded in this assembly): where
/// each comes from, how it is normalized and how it is verified. Paths are those of a reference directory, the layout
/// of <c>shared/reference</c>.
/// </summary>
public sealed class ReferenceManifest
{
    private const string ResourceName = "reference-data.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private static readonly Lazy<ReferenceManifest> LazyPinned = new(LoadPinned);

    private readonly Dictionary<string, ReferenceFile> byPath;
    private readonly Dictionary<string, ReferenceFile> byUrlPath;

    private ReferenceManifest(Uri baseUrl, IReadOnlyDictionary<string, ReferenceNormalization> normalizations, IReadOnlyList<ReferenceFile> files, string fingerprint)
    {
        BaseUrl = baseUrl;
        Normalizations = normalizations;
        Files = files;
        Fingerprint = fingerprint;
        byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        byUrlPath = files.ToDictionary(f => new Uri(f.Url).AbsolutePath, StringComparer.Ordinal);
    }

    /// <summary>The manifest committed with this assembly.</summary>
    public static ReferenceManifest Pinned => LazyPinned.Value;

    /// <summary>Where the files are published (<c>https://raw.githubusercontent.com</c>); every <see cref="ReferenceFile.Url"/> starts with it.</summary>
    public Uri BaseUrl { get; }

    public IReadOnlyDictionary<string, ReferenceNormalization> Normalizations { get; }

    /// <summary>Every file, ordered by path.</summary>
    public IReadOnlyList<ReferenceFile> Files { get; }

    /// <summary>16 hex digits of the manifest's SHA-256: names its cache directory, so a changed manifest never reuses stale files.</summary>
    public string Fingerprint { get; }

    /// <summary>Parses and checks a manifest; a <see cref="FormatException"/> lists every inconsistency found.</summary>
    public static ReferenceManifest Parse(string json)
    {
        var document = JsonSerializer.Deserialize<Document>(json, JsonOptions)
            ?? throw new FormatException("The reference manifest is empty.");
        var problems = new List<string>();
        var baseUrl = document.BaseUrl.TrimEnd('/');
        foreach (var file in document.Files)
        {
            var expectedUrl = $"{baseUrl}/{file.Repository}/{file.Tag}/{file.UpstreamPath}";
            if (file.Url != expectedUrl)
            {
                problems.Add($"{file.Path}: url must be {expectedUrl}, is {file.Url}");
            }

            if (file.Path.StartsWith('/') || file.Path.Split('/').Any(part => part is "" or "." or ".."))
            {
                problems.Add($"{file.Path}: path must be relative, '/'-separated, without '.' or '..'");
            }

            if ((file.Sha256 is null) == (file.Crds is null or []))
            {
                problems.Add($"{file.Path}: needs exactly one of sha256 (byte-stable files) or crds (structure check)");
            }

            if (file.Normalization is { } name && !document.Normalizations.ContainsKey(name))
            {
                problems.Add($"{file.Path}: unknown normalization '{name}'");
            }
        }

        problems.AddRange(document.Files.GroupBy(f => f.Path, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{g.Key}: listed {g.Count()} times"));
        problems.AddRange(document.Files.GroupBy(f => f.Url, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{g.Key}: downloaded for {g.Count()} files"));
        if (problems.Count > 0)
        {
            throw new FormatException("The reference manifest is inconsistent:\n  " + string.Join("\n  ", problems));
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
        return new ReferenceManifest(new Uri(baseUrl), document.Normalizations, [.. document.Files.OrderBy(f => f.Path, StringComparer.Ordinal)], fingerprint);
    }

    /// <summary>The file stored at <paramref name="path"/>, or null when the manifest does not list it.</summary>
    public ReferenceFile? Find(string path) => byPath.GetValueOrDefault(path);

    /// <summary>The file published at URL path <paramref name="urlPath"/> (e.g. <c>/istio/istio/1.30.3/LICENSE</c>), or null.</summary>
    public ReferenceFile? FindByUrlPath(string urlPath) => byUrlPath.GetValueOrDefault(urlPath);

    /// <summary>Whether <paramref name="path"/> is a listed file or a directory holding listed files.</summary>
    public bool Covers(string path) =>
        byPath.ContainsKey(path) || Files.Any(f => f.Path.StartsWith(path + "/", StringComparison.Ordinal));

    /// <summary>Where to download <paramref name="file"/> from: its URL, or the same path below <paramref name="mirror"/> (a mirror of the publishing host).</summary>
    public static Uri DownloadUrl(ReferenceFile file, Uri? mirror) =>
        mirror is null ? new Uri(file.Url) : new Uri(mirror.AbsoluteUri.TrimEnd('/') + new Uri(file.Url).AbsolutePath);

    /// <summary>
    /// The stored form of downloaded upstream bytes: the file's normalization applied. Throws
    /// <see cref="InvalidDataException"/> when a replaced text does not occur exactly as often as the manifest says
    /// (upstream is not what was pinned).
    /// </summary>
    public byte[] Normalize(ReferenceFile file, byte[] upstream) => Replace(file, upstream, reverse: false);

    /// <summary>The upstream form of stored bytes (the normalization undone), as a mirror of the publishing host serves it.</summary>
    public byte[] Denormalize(ReferenceFile file, byte[] stored) => Replace(file, stored, reverse: true);

    /// <summary>Why <paramref name="stored"/> is not the pinned content of <paramref name="file"/>, or null when it is.</summary>
    public static string? Problem(ReferenceFile file, byte[] stored)
    {
        if (file.Sha256 is { } expected)
        {
            var actual = Convert.ToHexStringLower(SHA256.HashData(stored));
            return actual == expected ? null : $"sha256 is {actual}, the manifest pins {expected}";
        }

        return CrdProblem(file.Crds!, stored);
    }

    private byte[] Replace(ReferenceFile file, byte[] bytes, bool reverse)
    {
        if (file.Normalization is null)
        {
            return bytes;
        }

        var text = Encoding.UTF8.GetString(bytes);
        var replacements = Normalizations[file.Normalization].Replace;
        foreach (var r in reverse ? replacements.Reverse() : replacements)
        {
            var (from, to) = reverse ? (r.With, r.Text) : (r.Text, r.With);
            var count = Occurrences(text, from);
            if (count != r.Count)
            {
                throw new InvalidDataException(
                    $"{file.Path}: expected '{from}' {r.Count} time(s) for normalization '{file.Normalization}', found it {count} time(s)");
            }

            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text);
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    // The structure the tests rely on: strict YAML defining exactly the named CRDs, each served version with a schema.
    private static string? CrdProblem(IReadOnlyList<string> expected, byte[] stored)
    {
        IReadOnlyList<JsonNode?> documents;
        try
        {
            documents = YamlJson.ParseAll(Encoding.UTF8.GetString(stored));
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or FormatException)
        {
            return $"not valid YAML: {e.Message}";
        }

        var crds = documents.OfType<JsonObject>().Where(d => (string?)d["kind"] == "CustomResourceDefinition").ToList();
        var names = crds.Select(d => (string?)d["metadata"]?["name"]).ToList();
        if (!names.SequenceEqual(expected))
        {
            return $"defines CRDs [{string.Join(", ", names)}], the manifest expects [{string.Join(", ", expected)}]";
        }

        var withoutSchema = crds
            .Where(crd => crd["spec"]?["versions"] is not JsonArray { Count: > 0 } versions
                || versions.Any(v => v?["schema"]?["openAPIV3Schema"] is not JsonObject))
            .Select(crd => (string?)crd["metadata"]?["name"]);
        return withoutSchema.FirstOrDefault() is { } name ? $"CRD {name} has a version without an openAPIV3Schema" : null;
    }

    private static ReferenceManifest LoadPinned()
    {
        using var stream = typeof(ReferenceManifest).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in {typeof(ReferenceManifest).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(reader.ReadToEnd());
    }

    private sealed record Document(
        string About,
        string BaseUrl,
        Dictionary<string, ReferenceNormalization> Normalizations,
        List<ReferenceFile> Files);
}
