using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

public class LinkerdSettingsTests
{
    [Theory]
    [InlineData(2160, 720)]
    [InlineData(720, 240)]
    [InlineData(48, 16)]
    public void The_default_renewal_window_never_swallows_a_short_lived_issuer(int validity, int expectedRenewBefore)
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "issuerValidityHours: 2160\n      issuerRenewBeforeHours: 720", $"issuerValidityHours: {validity}");

        var identity = StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev-linkerd")).Linkerd.Identity;

        Assert.Equal(validity, identity.IssuerValidityHours);
        Assert.Equal(expectedRenewBefore, identity.IssuerRenewBeforeHours);
        Assert.True(identity.IssuerRenewBeforeHours < identity.IssuerValidityHours);
    }

    [Fact]
    public void An_explicit_renewal_window_as_long_as_the_issuer_lives_is_refused()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "issuerValidityHours: 2160\n      issuerRenewBeforeHours: 720", "issuerValidityHours: 48\n      issuerRenewBeforeHours: 48");

        var error = Assert.Single(Assert.Throws<SettingsException>(() => StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev-linkerd"))).Errors);
        Assert.Equal("infra:linkerd.identity.issuerRenewBeforeHours", error.Key);
        Assert.Contains("1..47", error.Message, StringComparison.Ordinal);
    }
}
