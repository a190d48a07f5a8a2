using System.Collections.Concurrent;

namespace Infra.Testing;

/// <summary>No source has the reference data and it could not be downloaded; the message says what to do.</summary>
public sealed class ReferenceDataUnavailableException(string message) : Exception(message);

/// <summary>
/// Where reference data may come from, in lookup order: <paramref name="Directory"/> (from
/// <see cref="ReferenceLocator.DirectoryVariable"/>), <paramref name="CheckoutSibling"/> (<c>../shared/reference</c>
/// beside the checkout), then <paramref name="Cache"/>, which the download fills from <paramref name="Mirror"/>
/// (a host serving the manifest's URL paths; null: the manifest's own URLs).
/// </summary>
public sealed record ReferenceSources(string? Directory, string? CheckoutSibling, string Cache, Uri? Mirror)
{
    /// <summary>The sources of this machine: environment variables, the checkout above the test binaries, the per-user cache.</summary>
    public static ReferenceSources FromEnvironment() => new(
        NonEmpty(Environment.GetEnvironmentVariable(ReferenceLocator.DirectoryVariable)),
        CheckoutRoot() is { } root ? Path.GetFullPath(Path.Combine(root, "..", "shared", "reference")) : null,
        Path.Combine(CacheHome(), "infra", "reference"),
        NonEmpty(Environment.GetEnvironmentVariable(ReferenceLocator.MirrorVariable)) is { } mirror ? new Uri(mirror) : null);

    // The XDG base directory spec's cache home; Windows has no such variable and keeps caches in LocalAppData.
    private static string CacheHome() =>
        NonEmpty(Environment.GetEnvironmentVariable("XDG_CACHE_HOME")) is { } xdg && Path.IsPathRooted(xdg) ? xdg
        : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");

    // The nearest directory above the test binaries that holds the solution.
    private static string? CheckoutRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Infra.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>
/// Finds the reference data a manifest lists, or downloads and verifies it. A source is used only when it holds
/// every file of the manifest; the cache is filled all at once (downloaded into a staging directory, verified, then
/// renamed into place), so concurrent test processes never see half a cache.
/// </summary>
public static class ReferenceLocator
{
    /// <summary>Names a complete reference directory; when set, it is the only source consulted.</summary>
    public const string DirectoryVariable = "INFRA_REFERENCE_DIR";

    /// <summary>Names a mirror of the publishing host (same URL paths) to download from instead.</summary>
    public const string MirrorVariable = "INFRA_REFERENCE_URL";

    private const int ParallelDownloads = 8;
    private const int FailuresShown = 5;

    /// <summary>
    /// The absolute path of a directory holding every file of <paramref name="manifest"/>. Throws
    /// <see cref="ReferenceDataUnavailableException"/> when <see cref="ReferenceSources.Directory"/> is set but
    /// incomplete, or when no source is complete and the download fails (network, HTTP status, or a file that does
    /// not verify; nothing is cached then).
    /// </summary>
    public static async Task<string> LocateAsync(ReferenceManifest manifest, ReferenceSources sources, HttpClient http, CancellationToken cancellationToken)
    {
        if (sources.Directory is { } directory)
        {
            var missing = Missing(manifest, directory);
            return missing.Count == 0
                ? Path.GetFullPath(directory)
                : throw new ReferenceDataUnavailableException(
                    $"{DirectoryVariable} is set to '{directory}', but it lacks {missing.Count} of the {manifest.Files.Count} reference files " +
                    $"(e.g. {string.Join(", ", missing.Take(3))}). Point it at a complete reference directory, " +
                    "or unset it to use ../shared/reference beside the checkout or the download cache.");
        }

        if (sources.CheckoutSibling is { } sibling && Missing(manifest, sibling).Count == 0)
        {
            return sibling;
        }

        var cached = Path.GetFullPath(Path.Combine(sources.Cache, manifest.Fingerprint));
        if (Missing(manifest, cached).Count == 0)
        {
            return cached;
        }

        var failures = await DownloadAsync(manifest, sources, cached, http, cancellationToken).ConfigureAwait(false);
        return failures.Count == 0 ? cached : throw new ReferenceDataUnavailableException(Explain(manifest, sources, cached, failures));
    }

    private static List<string> Missing(ReferenceManifest manifest, string directory) =>
        [.. manifest.Files.Select(f => f.Path).Where(path => !File.Exists(Path.Combine(directory, path)))];

    // Every file is fetched and verified; only a complete, verified set is moved into the cache.
    private static async Task<IReadOnlyList<string>> DownloadAsync(
        ReferenceManifest manifest, ReferenceSources sources, string cached, HttpClient http, CancellationToken cancellationToken)
    {
        var staging = $"{cached}.{Guid.NewGuid():N}.partial";
        var failures = new ConcurrentBag<string>();
        try
        {
            await Parallel.ForEachAsync(
                manifest.Files,
                new ParallelOptions { MaxDegreeOfParallelism = ParallelDownloads, CancellationToken = cancellationToken },
                async (file, token) =>
                {
                    var url = ReferenceManifest.DownloadUrl(file, sources.Mirror);
                    var (stored, problem) = await FetchAsync(manifest, file, url, http, token).ConfigureAwait(false);
                    if (stored is null)
                    {
                        failures.Add(Failure(file, url, problem!));
                        return;
                    }

                    var target = Path.Combine(staging, file.Path);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    await File.WriteAllBytesAsync(target, stored, token).ConfigureAwait(false);
                }).ConfigureAwait(false);

            if (failures.IsEmpty)
            {
                Publish(manifest, staging, cached);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return [.. failures.Order(StringComparer.Ordinal)];
    }

    // The stored bytes when the download verifies, else why not.
    private static async Task<(byte[]? Stored, string? Problem)> FetchAsync(
        ReferenceManifest manifest, ReferenceFile file, Uri url, HttpClient http, CancellationToken token)
    {
        try
        {
            var stored = manifest.Normalize(file, await http.GetByteArrayAsync(url, token).ConfigureAwait(false));
            return ReferenceManifest.Problem(file, stored) is { } problem ? (null, $"does not verify: {problem}; discarded") : (stored, null);
        }
        catch (HttpRequestException e)
        {
            return (null, $"download failed: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            return (null, $"is not the pinned upstream file: {e.Message}; discarded");
        }
        catch (TaskCanceledException) when (!token.IsCancellationRequested)
        {
            return (null, $"download timed out after {http.Timeout.TotalSeconds:0} s");
        }
    }

    private static string Failure(ReferenceFile file, Uri url, string reason) => $"{file.Path} from {url}: {reason}";

    private static void Publish(ReferenceManifest manifest, string staging, string cached)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        try
        {
            Directory.Move(staging, cached);
        }
        catch (IOException) when (Missing(manifest, cached).Count == 0)
        {
            // Another test process published the same verified files first.
        }
    }

    private static string Explain(ReferenceManifest manifest, ReferenceSources sources, string cached, IReadOnlyList<string> failures)
    {
        var shown = failures.Take(FailuresShown).Select(f => "    " + f);
        var more = failures.Count > FailuresShown ? [$"    ... and {failures.Count - FailuresShown} more"] : Array.Empty<string>();
        return string.Join('\n', [
            $"The upstream reference data the tests check against ({manifest.Files.Count} files pinned in Infra.Testing's reference-data.json) is not available.",
            "Looked in, in order:",
            $"  1. ${DirectoryVariable}: not set",
            $"  2. ../shared/reference beside the checkout: {(sources.CheckoutSibling is { } s ? $"'{s}' is missing or incomplete" : "no checkout found above the test binaries")}",
            $"  3. the download cache '{cached}': empty",
            $"Downloading it from {sources.Mirror?.AbsoluteUri ?? manifest.BaseUrl.AbsoluteUri} failed for {failures.Count} of {manifest.Files.Count} files:",
            .. shown,
            .. more,
            "To fix: run the tests once with network access (the files are downloaded, verified and cached), " +
            $"or set {DirectoryVariable} to a directory holding them (e.g. a copy of shared/reference), " +
            $"or set {MirrorVariable} to a mirror that serves the same URL paths.",
        ]);
    }
}
