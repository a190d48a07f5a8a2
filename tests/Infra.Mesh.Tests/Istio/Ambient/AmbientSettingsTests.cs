using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio.Ambient;

public class AmbientSettingsTests
{
    [Fact]
    public void Sidecar_is_the_default_data_plane_and_ambient_is_chosen_per_stack()
    {
        Assert.Equal(IstioDataplane.Sidecar, Stacks.Settings("dev").Istio.Dataplane);
        Assert.Equal(IstioDataplane.Sidecar, Stacks.Settings("prod").Istio.Dataplane);
        Assert.Equal(IstioDataplane.Ambient, Stacks.Settings(AmbientStacks.Dev).Istio.Dataplane);
    }

    [Fact]
    public void An_unknown_data_plane_names_the_allowed_ones()
    {
        var error = Assert.Single(IstioStacks.Errors("dev", """
              infra:istio:
                dataplane: sidecarless
            """));
        Assert.Equal("infra:istio.dataplane", error.Key);
        Assert.Contains("'sidecarless' is not allowed; allowed: sidecar, ambient", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_that_mean_nothing_in_ambient_are_reported_together_with_the_alternative()
    {
        var errors = IstioStacks.Errors("dev", """
              infra:istio:
                dataplane: ambient
                outboundTrafficPolicy: REGISTRY_ONLY
                cni: false
            """);

        Assert.Equal(["infra:istio.cni", "infra:istio.outboundTrafficPolicy"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Equal("Pulumi.dev.yaml", e.File));
        Assert.All(errors, e => Assert.True(e.Line > 0));
        var outbound = errors.Single(e => e.Key.EndsWith("outboundTrafficPolicy", StringComparison.Ordinal));
        Assert.Contains("'REGISTRY_ONLY' means nothing with infra:istio.dataplane: ambient", outbound.Message, StringComparison.Ordinal);
        Assert.Contains("NetworkPolicy", outbound.Message, StringComparison.Ordinal);
        var cni = errors.Single(e => e.Key.EndsWith("cni", StringComparison.Ordinal));
        Assert.Contains("redirects pod traffic to ztunnel", cni.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prod_may_run_ambient_without_an_outbound_policy_it_could_not_enforce()
    {
        var prod = IstioStacks.Settings("prod", """
              infra:istio:
                dataplane: ambient
            """);
        Assert.True(prod.Istio.Ambient);
        Assert.True(prod.Istio.Cni);
    }
}
