using Xunit;

namespace Infra.Testing.Tests;

public class ReferenceDataTests
{
    [Fact]
    public void Every_file_of_the_reference_directory_is_pinned_by_the_manifest_and_verifies()
    {
        // Whichever source was found (INFRA_REFERENCE_DIR, ../shared/reference or the download cache): nothing unpinned, nothing altered.
        var present = Directory.EnumerateFiles(ReferenceData.Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(ReferenceData.Root, f).Replace('\\', '/'))
            .Where(f => f != "README.md");

        Assert.All(present, path => Assert.NotNull(ReferenceManifest.Pinned.Find(path)));
        Assert.All(ReferenceManifest.Pinned.Files, file =>
            Assert.Null(ReferenceManifest.Problem(file, File.ReadAllBytes(Path.Combine(ReferenceData.Root, file.Path)))));
    }

    [Fact]
    public void Paths_outside_the_manifest_are_refused()
    {
        Assert.Equal(Path.Combine(ReferenceData.Root, "istio", "1.30.3", "LICENSE"), ReferenceData.Path("istio", "1.30.3", "LICENSE"));
        Assert.Equal(Path.Combine(ReferenceData.Root, "linkerd", "edge-26.8.3", "crds"), ReferenceData.LinkerdCrds);
        var error = Assert.Throws<ArgumentException>(() => ReferenceData.Path("istio", "1.30.3", "charts", "istiod", "values.schema.json"));
        Assert.StartsWith("'istio/1.30.3/charts/istiod/values.schema.json' is not in the reference manifest", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("base")]
    [InlineData("istiod")]
    [InlineData("gateway")]
    [InlineData("ztunnel")]
    [InlineData("cni")]
    public void IstioChartsCarryThePinnedVersion(string chart)
    {
        Assert.Equal(ReferenceData.IstioVersion, ChartVersion(ReferenceData.IstioChart(chart)));
    }

    [Theory]
    [InlineData("linkerd-crds")]
    [InlineData("linkerd-control-plane")]
    [InlineData("linkerd-viz")]
    public void LinkerdChartsCarryThePinnedVersion(string chart)
    {
        Assert.Equal(ReferenceData.LinkerdChartVersion, ChartVersion(ReferenceData.LinkerdChart(chart)));
    }

    [Fact]
    public void GatewayApiCrdsCarryThePinnedBundleVersion()
    {
        var crds = Directory.GetFiles(ReferenceData.GatewayApiCrds, "*_*routes.yaml");

        Assert.NotEmpty(crds);
        Assert.All(crds, file => Assert.Equal(
            ReferenceData.GatewayApiVersion,
            Yaml.Object(File.ReadAllText(file))["metadata"]!["annotations"]!["gateway.networking.k8s.io/bundle-version"]!.GetValue<string>()));
    }

    [Fact]
    public void CrdPathsExist()
    {
        Assert.True(File.Exists(ReferenceData.IstioCrds));
        Assert.True(Directory.Exists(ReferenceData.LinkerdCrds));
    }

    private static string ChartVersion(string chartDirectory) =>
        Yaml.Object(File.ReadAllText(Path.Combine(chartDirectory, "Chart.yaml")))["version"]!.GetValue<string>();
}
