using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit;

namespace Infra.Testing.Tests;

/// <summary>
/// The download path, without a network: <see cref="ReferenceMirror"/> serves this machine's reference data under the
/// manifest's URL paths (in upstream form), and the locator fills an empty cache from it.
/// </summary>
public sealed class ReferenceDownloadTests : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("infra-reference-tests-");

    private static ReferenceManifest Manifest => ReferenceManifest.Pinned;

    private string Cache => Path.Combine(scratch.FullName, "cache");

    private string CachedRoot => Path.Combine(Cache, Manifest.Fingerprint);

    [Fact]
    public async Task An_empty_cache_is_filled_through_the_mirror_with_files_that_verify()
    {
        await using var mirror = await ReferenceMirror.StartAsync(ReferenceData.Root, Manifest);

        var root = await Locate(Sources(mirror.BaseUrl));

        Assert.Equal(CachedRoot, root);
        Assert.Equal(Manifest.Files.Count, mirror.Requests.Count);
        Assert.All(Manifest.Files, file =>
        {
            var stored = File.ReadAllBytes(Path.Combine(root, file.Path));
            var source = File.ReadAllBytes(Path.Combine(ReferenceData.Root, file.Path));
            Assert.Null(ReferenceManifest.Problem(file, stored));
            if (file.Sha256 is not null)
            {
                Assert.Equal(source, stored);
            }
            else
            {
                Assert.True(JsonNode.DeepEquals(Documents(source), Documents(stored)), $"{file.Path}: parsed content differs");
            }
        });
        Assert.Equal([root], Directory.GetFileSystemEntries(Cache));
        Assert.True(CrdSchemaCatalog.Load(Path.Combine(root, "linkerd", ReferenceData.LinkerdVersion, "crds")).Knows("policy.linkerd.io/v1beta3", "Server"));
    }

    [Fact]
    public async Task A_filled_cache_is_used_without_downloading_again()
    {
        await using (var mirror = await ReferenceMirror.StartAsync(ReferenceData.Root, Manifest))
        {
            await Locate(Sources(mirror.BaseUrl));
        }

        Assert.Equal(CachedRoot, await Locate(Sources(ClosedPort())));
    }

    [Fact]
    public async Task A_corrupted_file_is_rejected_by_its_checksum_and_nothing_is_cached()
    {
        var served = Copy(ReferenceData.Root);
        File.AppendAllText(Path.Combine(served, "istio", "1.30.3", "crds", "crd-all.gen.yaml"), "# tampered\n");
        await using var mirror = await ReferenceMirror.StartAsync(served, Manifest);

        var error = await Assert.ThrowsAsync<ReferenceDataUnavailableException>(() => Locate(Sources(mirror.BaseUrl)));

        Assert.Contains($"failed for 1 of {Manifest.Files.Count} files", error.Message, StringComparison.Ordinal);
        Assert.Contains("istio/1.30.3/crds/crd-all.gen.yaml from http://127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not verify: sha256 is ", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(CachedRoot));
        Assert.Empty(Directory.GetFileSystemEntries(Cache));
    }

    [Fact]
    public async Task A_stamped_file_is_verified_by_the_hash_of_its_stamped_form()
    {
        var served = Copy(ReferenceData.Root);
        Tamper(Path.Combine(served, "linkerd", ReferenceData.LinkerdVersion, "charts", "linkerd-viz", "Chart.yaml"), "home: https://linkerd.io", "home: https://linkerd.example");
        await using var mirror = await ReferenceMirror.StartAsync(served, Manifest);

        var error = await Assert.ThrowsAsync<ReferenceDataUnavailableException>(() => Locate(Sources(mirror.BaseUrl)));

        Assert.Contains("linkerd/edge-26.8.3/charts/linkerd-viz/Chart.yaml from ", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not verify: sha256 is ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crd_file_that_defines_other_crds_is_rejected_by_its_structure()
    {
        var served = Copy(ReferenceData.Root);
        Tamper(Path.Combine(served, "linkerd", ReferenceData.LinkerdVersion, "crds", "servers.policy.linkerd.io.yaml"), "name: servers.policy.linkerd.io", "name: sorvers.policy.linkerd.io");
        await using var mirror = await ReferenceMirror.StartAsync(served, Manifest);

        var error = await Assert.ThrowsAsync<ReferenceDataUnavailableException>(() => Locate(Sources(mirror.BaseUrl)));

        Assert.Contains(
            "servers.policy.linkerd.io.yaml from http://127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("defines CRDs [sorvers.policy.linkerd.io], the manifest expects [servers.policy.linkerd.io]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_source_and_no_network_is_one_error_that_says_what_to_do()
    {
        var error = await Assert.ThrowsAsync<ReferenceDataUnavailableException>(() => Locate(Sources(ClosedPort())));

        Assert.Contains($"({Manifest.Files.Count} files pinned in Infra.Testing's reference-data.json) is not available", error.Message, StringComparison.Ordinal);
        Assert.Contains($"1. ${ReferenceLocator.DirectoryVariable}: not set", error.Message, StringComparison.Ordinal);
        Assert.Contains($"2. ../shared/reference beside the checkout: '{Path.Combine(scratch.FullName, "no-shared")}' is missing or incomplete", error.Message, StringComparison.Ordinal);
        Assert.Contains($"3. the download cache '{CachedRoot}': empty", error.Message, StringComparison.Ordinal);
        Assert.Contains($"failed for {Manifest.Files.Count} of {Manifest.Files.Count} files", error.Message, StringComparison.Ordinal);
        Assert.Contains("download failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"To fix: run the tests once with network access", error.Message, StringComparison.Ordinal);
        Assert.Contains($"set {ReferenceLocator.DirectoryVariable} to a directory holding them", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(CachedRoot));
    }

    [Fact]
    public async Task Sources_are_tried_in_order_directory_then_checkout_sibling_then_cache()
    {
        var directory = Copy(ReferenceData.Root);
        var sibling = Copy(ReferenceData.Root);
        await using (var mirror = await ReferenceMirror.StartAsync(ReferenceData.Root, Manifest))
        {
            await Locate(Sources(mirror.BaseUrl));
        }

        var offline = ClosedPort();
        Assert.Equal(directory, await Locate(Sources(offline, directory, sibling)));
        Assert.Equal(sibling, await Locate(Sources(offline, sibling: sibling)));
        File.Delete(Path.Combine(sibling, Manifest.Files[0].Path));
        Assert.Equal(CachedRoot, await Locate(Sources(offline, sibling: sibling)));
    }

    [Fact]
    public async Task An_incomplete_reference_directory_variable_is_an_error_not_a_fallback()
    {
        var directory = Copy(ReferenceData.Root);
        var missing = Manifest.Files[^1].Path;
        File.Delete(Path.Combine(directory, missing));

        var error = await Assert.ThrowsAsync<ReferenceDataUnavailableException>(() =>
            Locate(Sources(ClosedPort(), directory, sibling: ReferenceData.Root)));

        Assert.Equal(
            $"{ReferenceLocator.DirectoryVariable} is set to '{directory}', but it lacks 1 of the {Manifest.Files.Count} reference files (e.g. {missing}). " +
            "Point it at a complete reference directory, or unset it to use ../shared/reference beside the checkout or the download cache.",
            error.Message);
    }

    public void Dispose() => scratch.Delete(recursive: true);

    private static Task<string> Locate(ReferenceSources sources) => ReferenceLocator.LocateAsync(Manifest, sources, Http, CancellationToken.None);

    private ReferenceSources Sources(Uri mirror, string? directory = null, string? sibling = null) =>
        new(directory, sibling ?? Path.Combine(scratch.FullName, "no-shared"), Cache, mirror);

    // A loopback address nothing listens on: every download is refused, as without a network.
    private static Uri ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    // A copy of the manifest's files of a reference directory, in the scratch directory.
    private string Copy(string root)
    {
        var copy = Path.Combine(scratch.FullName, "copy-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Manifest.Files)
        {
            var target = Path.Combine(copy, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(root, file.Path), target);
        }

        return copy;
    }

    private static void Tamper(string file, string oldText, string newText)
    {
        var text = File.ReadAllText(file);
        Assert.Contains(oldText, text, StringComparison.Ordinal);
        File.WriteAllText(file, text.Replace(oldText, newText, StringComparison.Ordinal));
    }

    private static JsonArray Documents(byte[] yaml) => [.. YamlJson.ParseAll(System.Text.Encoding.UTF8.GetString(yaml))];
}
