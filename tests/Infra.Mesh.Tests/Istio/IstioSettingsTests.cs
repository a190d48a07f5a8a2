using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

public class IstioSettingsTests
{
    [Fact]
    public void Defaults_pin_1_30_3_with_one_revision_behind_the_stable_tag()
    {
        var istio = Stacks.Settings("dev").Istio;
        Assert.Equal("1.30.3", istio.Version);
        Assert.Equal(("1-30-3", "1.30.3"), (istio.Revisions.Single().Name, istio.Revisions.Single().Version));
        Assert.Equal(("stable", "1-30-3"), (istio.Tag, istio.TagRevision));
        Assert.True(istio.Cni);
    }

    [Theory]
    [InlineData("cni: false", "infra:istio.cni", "restricted")]
    [InlineData("outboundTrafficPolicy: ALLOW_ANY", "infra:istio.outboundTrafficPolicy", "REGISTRY_ONLY")]
    [InlineData("istiod:\n      minReplicas: 1", "infra:istio.istiod.minReplicas", "at least 2")]
    public void Prod_rejects_what_would_weaken_it(string setting, string key, string reason)
    {
        var error = Assert.Single(IstioStacks.Errors("prod", $"  infra:istio:\n    {setting}\n"));
        Assert.Equal((key, "Pulumi.prod.yaml"), (error.Key, Path.GetFileName(error.File)));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cni: false")]
    [InlineData("outboundTrafficPolicy: ALLOW_ANY")]
    [InlineData("istiod:\n      minReplicas: 1")]
    public void Dev_may_choose_the_same(string setting) =>
        Assert.NotNull(IstioStacks.Settings("dev", $"  infra:istio:\n    {setting}\n"));

    [Fact]
    public void Unknown_keys_are_named_with_what_is_allowed()
    {
        var error = Assert.Single(IstioStacks.Errors("dev", "  infra:istio:\n    revison: x\n"));
        Assert.Equal("infra:istio.revison", error.Key);
        Assert.Contains("allowed: version, revisions, tag, tagRevision", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_maximum_below_the_minimum_is_rejected()
    {
        var error = Assert.Single(IstioStacks.Errors("prod", "  infra:istio:\n    istiod:\n      minReplicas: 3\n      maxReplicas: 2\n"));
        Assert.Equal("infra:istio.istiod.maxReplicas", error.Key);
    }
}
