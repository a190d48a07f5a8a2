using System.Text;
using Xunit;

namespace Infra.Testing.Tests;

public class ReferenceManifestTests
{
    private static ReferenceManifest Manifest => ReferenceManifest.Pinned;

    [Fact]
    public void Every_file_is_downloaded_from_its_repository_at_the_pinned_tag()
    {
        var pinned = new Dictionary<string, string>
        {
            ["istio/istio"] = ReferenceData.IstioVersion,
            ["linkerd/linkerd2"] = ReferenceData.LinkerdVersion,
            ["kubernetes-sigs/gateway-api"] = ReferenceData.GatewayApiVersion,
        };

        Assert.Equal(new Uri("https://raw.githubusercontent.com"), Manifest.BaseUrl);
        Assert.All(Manifest.Files, file =>
        {
            Assert.Equal($"https://raw.githubusercontent.com/{file.Repository}/{file.Tag}/{file.UpstreamPath}", file.Url);
            if (pinned.TryGetValue(file.Repository, out var tag))
            {
                Assert.Equal(tag, file.Tag);
                Assert.StartsWith(file.Repository == "kubernetes-sigs/gateway-api" ? $"gateway-api/{tag}/" : $"{file.Path.Split('/')[0]}/{tag}/", file.Path, StringComparison.Ordinal);
            }
        });
        Assert.Equal(Manifest.Normalizations.Keys.Order(), Manifest.Files.Select(f => f.Normalization).OfType<string>().Distinct().Order());
    }

    [Fact]
    public void Files_whose_bytes_are_not_upstream_bytes_are_exactly_the_documented_normalizations()
    {
        // Stamped files keep a byte hash (of the stamped form); only the rendered or re-serialized CRDs need a structure check.
        Assert.Equal(
            ["flagger/v1.44.0/crds/crd.yaml", .. Manifest.Files.Where(f => f.Path.StartsWith("linkerd/edge-26.8.3/crds/", StringComparison.Ordinal)).Select(f => f.Path)],
            Manifest.Files.Where(f => f.Sha256 is null).Select(f => f.Path));
        Assert.All(Manifest.Files.Where(f => f.Sha256 is null), f => Assert.NotNull(f.Normalization));
        Assert.Equal(
            ["addons/kiali-server-2.26.0/Chart.yaml", "addons/kiali-server-2.26.0/values.yaml",
             .. Manifest.Files.Where(f => f.Path.StartsWith("istio/", StringComparison.Ordinal) && f.Path.EndsWith("/Chart.yaml", StringComparison.Ordinal)).Select(f => f.Path),
             .. Manifest.Files.Where(f => f.Path.StartsWith("linkerd/edge-26.8.3/charts/", StringComparison.Ordinal) && f.Normalization is not null).Select(f => f.Path)],
            Manifest.Files.Where(f => f.Sha256 is not null && f.Normalization is not null).Select(f => f.Path));
    }

    [Fact]
    public void Undoing_a_normalization_and_applying_it_again_gives_the_stored_bytes()
    {
        Assert.All(Manifest.Files.Where(f => f.Normalization is { } n && Manifest.Normalizations[n].Replace.Count > 0), file =>
        {
            var stored = File.ReadAllBytes(Path.Combine(ReferenceData.Root, file.Path));
            var upstream = Manifest.Denormalize(file, stored);

            Assert.NotEqual(stored, upstream);
            Assert.Equal(stored, Manifest.Normalize(file, upstream));
        });
    }

    [Fact]
    public void Upstream_text_without_the_stamped_placeholder_is_not_the_pinned_file()
    {
        var chart = Manifest.Find("istio/1.30.3/charts/istiod/Chart.yaml")!;

        var error = Assert.Throws<InvalidDataException>(() => Manifest.Normalize(chart, Encoding.UTF8.GetBytes("name: istiod\nversion: 1.31.0\nappVersion: 1.0.0\n")));

        Assert.Equal("istio/1.30.3/charts/istiod/Chart.yaml: expected 'version: 1.0.0' 1 time(s) for normalization 'istio-chart-version', found it 0 time(s)", error.Message);
    }

    [Fact]
    public void An_inconsistent_manifest_is_refused_with_every_problem()
    {
        const string json = """
            {
              "about": "test",
              "baseUrl": "https://raw.githubusercontent.com",
              "normalizations": {},
              "files": [
                {"path": "a/x.yaml", "repository": "o/r", "tag": "v1", "upstreamPath": "x.yaml", "url": "https://example.com/o/r/v1/x.yaml", "sha256": "00"},
                {"path": "../b.yaml", "repository": "o/r", "tag": "v1", "upstreamPath": "b.yaml", "url": "https://raw.githubusercontent.com/o/r/v1/b.yaml", "normalization": "stamp"}
              ]
            }
            """;

        var error = Assert.Throws<FormatException>(() => ReferenceManifest.Parse(json));

        Assert.Equal(
            "The reference manifest is inconsistent:\n" +
            "  a/x.yaml: url must be https://raw.githubusercontent.com/o/r/v1/x.yaml, is https://example.com/o/r/v1/x.yaml\n" +
            "  ../b.yaml: path must be relative, '/'-separated, without '.' or '..'\n" +
            "  ../b.yaml: needs exactly one of sha256 (byte-stable files) or crds (structure check)\n" +
            "  ../b.yaml: unknown normalization 'stamp'",
            error.Message);
    }
}
