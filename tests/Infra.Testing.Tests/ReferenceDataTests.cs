using Xunit;

namespace Infra.Testing.Tests;

public class ReferenceDataTests
{
    [Fact]
    public void RootIsTheSharedReferenceFolder()
    {
        Assert.True(File.Exists(Path.Combine(ReferenceData.Root, "README.md")));
        Assert.Equal("reference", new DirectoryInfo(ReferenceData.Root).Name);
        Assert.Equal(Path.Combine(ReferenceData.Root, "istio", "LICENSE"), ReferenceData.Path("istio", "LICENSE"));
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
