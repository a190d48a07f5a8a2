using Infra.Mesh.Istio;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Testing.Support;
using Infra.Testing;

namespace Infra.Mesh.Tests.Istio.Ambient;

public class AmbientControlPlaneTests
{
    [Fact]
    public void Releases_install_base_and_gateway_api_then_istiod_then_cni_then_ztunnel()
    {
        var plan = Stacks.Plan(AmbientStacks.Dev);
        var istioBase = plan.Release(IstioControlPlanePlanner.BaseRelease);
        var gatewayApi = Assert.Single(plan.Stage(StageKind.Crds).Items.OfType<ManifestFileItem>());
        var istiod = plan.Release("istiod-1-30-3");
        var cni = plan.Release(IstioControlPlanePlanner.CniRelease);
        var ztunnel = plan.Release(IstioControlPlanePlanner.ZtunnelRelease);

        Assert.Equal("https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml", gatewayApi.Url);
        Assert.Equal([istioBase.Id, gatewayApi.Id], istiod.DependsOn.ToArray());
        Assert.Equal([istiod.Id], cni.DependsOn.ToArray());
        Assert.Equal([istiod.Id, cni.Id], ztunnel.DependsOn.ToArray());
        var controlPlane = plan.Stage(StageKind.ControlPlane).Items.OfType<HelmReleaseItem>().Select(r => r.ReleaseName);
        Assert.Equal(["istiod-1-30-3", "istio-cni", "ztunnel"], controlPlane);
        Assert.All([istiod, cni, ztunnel], r => Assert.Equal("ambient", (string?)r.Values["profile"]));
        Assert.Null(istioBase.Values["profile"]);
    }

    [Fact]
    public void Ztunnel_follows_the_tagged_revision_for_its_xds_server_and_ca()
    {
        var plan = MeshPlanner.Plan(AmbientStacks.Settings(
            "    dataplane: ambient\n",
            "    dataplane: ambient\n    version: 1.31.0\n    revisions:\n      - {name: 1-30-3, version: 1.30.3}\n      - {name: 1-31-0}\n    tagRevision: 1-30-3\n"));

        Assert.Equal("1-30-3", (string?)plan.Release(IstioControlPlanePlanner.ZtunnelRelease).Values["revision"]);
        Assert.All(plan.Releases.Where(r => r.Chart == "istiod"), r => Assert.Equal("ambient", (string?)r.Values["profile"]));
        // Both istiods first (the tagged one after the other), then the node components.
        Assert.Contains(plan.Release("istiod-1-31-0").Id, plan.Release("istiod-1-30-3").DependsOn);
        Assert.Equal([plan.Release("istiod-1-30-3").Id], plan.Release(IstioControlPlanePlanner.CniRelease).DependsOn.ToArray());
    }

    /// <summary>What the charts actually run with: the profile merged over the defaults, then our values (templates/zzz_profile.yaml).</summary>
    [Fact]
    public void The_ambient_profile_settings_survive_our_values()
    {
        var plan = Stacks.Plan(AmbientStacks.Dev);
        var profile = YamlJson.ParseOne(File.ReadAllText(ReferenceData.Path("istio", ReferenceData.IstioVersion, "profiles", "profile-ambient.yaml")))!.AsObject();

        var istiod = IstioChartConventions.WithProfile("istiod", profile, plan.Release("istiod-1-30-3").Values);
        Assert.Equal("true", (string?)istiod["env"]!["PILOT_ENABLE_AMBIENT"]);
        var proxyMetadata = istiod["meshConfig"]!["defaultConfig"]!["proxyMetadata"]!;
        Assert.Equal("true", (string?)proxyMetadata["ISTIO_META_ENABLE_HBONE"]);
        Assert.Equal("true", (string?)proxyMetadata["EXIT_ON_ZERO_ACTIVE_CONNECTIONS"]);
        Assert.Null(istiod["meshConfig"]!["defaultConfig"]!["holdApplicationUntilProxyStarts"]);

        var cni = IstioChartConventions.WithProfile("cni", profile, plan.Release(IstioControlPlanePlanner.CniRelease).Values);
        Assert.True((bool)cni["ambient"]!["enabled"]!);

        var ztunnel = IstioChartConventions.WithProfile("ztunnel", profile, plan.Release(IstioControlPlanePlanner.ZtunnelRelease).Values);
        Assert.Equal("distroless", (string?)ztunnel["variant"]);
    }

    [Fact]
    public void Sidecar_stacks_take_no_profile_and_keep_holding_the_app_until_the_proxy_starts()
    {
        var plan = Stacks.Plan("dev");
        Assert.All(plan.Releases, r => Assert.Null(r.Values["profile"]));
        Assert.DoesNotContain(plan.Releases, r => r.ReleaseName == IstioControlPlanePlanner.ZtunnelRelease);
        Assert.True((bool)plan.Release("istiod-1-30-3").Values["meshConfig"]!["defaultConfig"]!["holdApplicationUntilProxyStarts"]!);
    }
}
