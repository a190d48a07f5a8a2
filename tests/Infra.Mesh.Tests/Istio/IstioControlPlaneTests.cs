using Infra.Mesh.Istio;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

public class IstioControlPlaneTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Releases_install_crds_then_cni_then_istiod_then_the_gateway(string stack)
    {
        var plan = Stacks.Plan(stack);
        var istioBase = plan.Release(IstioControlPlanePlanner.BaseRelease);
        var cni = plan.Release(IstioControlPlanePlanner.CniRelease);
        var istiod = plan.Release("istiod-1-30-3");
        var gateway = plan.Release(IstioNames.IngressGatewayRelease);

        Assert.Contains(istioBase, plan.Stage(StageKind.Crds).Items);
        Assert.Equal([istioBase.Id], cni.DependsOn.ToArray());
        Assert.Equal([istioBase.Id, cni.Id], istiod.DependsOn.ToArray());
        Assert.Equal([istiod.Id], gateway.DependsOn.ToArray());
        // Workloads are created in a later stage than every istiod, so the injector is ready for their first pod.
        Assert.True(StageOf(plan, istiod) < StageKind.Namespaces);
        Assert.True(StageOf(plan, gateway) > StageOf(plan, istiod));
        Assert.All(plan.Releases.Where(r => r.Repository == IstioSettings.ChartRepository), r => Assert.Equal("1.30.3", r.Version));
    }

    [Fact]
    public void Every_dependency_is_planned_before_the_item_that_needs_it()
    {
        foreach (var stack in new[] { "dev", "prod" })
        {
            var items = Stacks.Plan(stack).Items.ToList();
            foreach (var (item, index) in items.Select((item, index) => (item, index)))
            {
                Assert.All(item.DependsOn, d => Assert.True(items.FindIndex(i => i.Id == d) < index, $"{item.Id} needs {d} first"));
            }
        }
    }

    [Fact]
    public void Only_the_prod_crd_release_is_protected_and_retained()
    {
        var prod = Stacks.Plan("prod");
        Assert.Equal(
            [IstioControlPlanePlanner.BaseRelease],
            prod.Releases.Where(r => r.Protect && r.RetainOnDelete).Select(r => r.ReleaseName));
        Assert.DoesNotContain(Stacks.Plan("dev").Items, i => i.Protect || i.RetainOnDelete);
    }

    [Fact]
    public void Dev_runs_one_small_istiod()
    {
        var values = Stacks.Plan("dev").Release("istiod-1-30-3").Values;
        Assert.False((bool)values["autoscaleEnabled"]!);
        Assert.Equal(1, (int)values["replicaCount"]!);
        Assert.Equal("100m", (string)values["resources"]!["requests"]!["cpu"]!);
        Assert.Null(values["pdb"]);
    }

    [Fact]
    public void Prod_istiod_is_highly_available()
    {
        var values = Stacks.Plan("prod").Release("istiod-1-30-3").Values;
        Assert.True((bool)values["autoscaleEnabled"]!);
        Assert.True((int)values["autoscaleMin"]! >= 2);
        Assert.True((int)values["autoscaleMax"]! > (int)values["autoscaleMin"]!);
        Assert.True((bool)values["global"]!["defaultPodDisruptionBudget"]!["enabled"]!);
        Assert.Equal(1, (int)values["pdb"]!["minAvailable"]!);
        Assert.Equal(
            ["topology.kubernetes.io/zone", "kubernetes.io/hostname"],
            values["topologySpreadConstraints"].Items().Select(c => (string)c["topologyKey"]!));
        Assert.All(values["topologySpreadConstraints"].Items(), c => Assert.Equal("1-30-3", (string)c["labelSelector"]!["matchLabels"]!["istio.io/rev"]!));
        foreach (var kind in new[] { "requests", "limits" })
        {
            Assert.NotNull(values["resources"]![kind]!["cpu"]);
            Assert.NotNull(values["resources"]![kind]!["memory"]);
        }
    }

    [Theory]
    [InlineData("dev", "ALLOW_ANY")]
    [InlineData("prod", "REGISTRY_ONLY")]
    public void Mesh_config_holds_jvm_apps_for_their_proxy_and_watches_only_mesh_namespaces(string stack, string outbound)
    {
        var settings = Stacks.Settings(stack);
        var mesh = Stacks.Plan(stack).Release("istiod-1-30-3").Values["meshConfig"]!;

        Assert.True((bool)mesh["defaultConfig"]!["holdApplicationUntilProxyStarts"]!);
        Assert.Equal("true", (string)mesh["defaultConfig"]!["proxyMetadata"]!["EXIT_ON_ZERO_ACTIVE_CONNECTIONS"]!);
        Assert.Equal(outbound, (string)mesh["outboundTrafficPolicy"]!["mode"]!);
        var selector = mesh["discoverySelectors"].Items().Single()["matchExpressions"].Items().Single();
        Assert.Equal("kubernetes.io/metadata.name", (string)selector["key"]!);
        Assert.Equal(
            new[] { IstioSettings.SystemNamespace, settings.Ingress.Namespace }.Concat(settings.Namespaces).Order(),
            selector["values"].Strings().Order());
    }

    [Fact]
    public void Cni_is_installed_and_istiod_injects_for_it_so_restricted_namespaces_admit_the_pods()
    {
        var plan = Stacks.Plan("prod");
        Assert.Equal("cni", plan.Release(IstioControlPlanePlanner.CniRelease).Chart);
        Assert.True((bool)plan.Release("istiod-1-30-3").Values["cni"]!["enabled"]!);

        var withoutCni = IstioStacks.Plan("dev", "  infra:istio:\n    cni: false\n");
        Assert.DoesNotContain(withoutCni.Releases, r => r.Chart == "cni");
        Assert.False((bool)withoutCni.Release("istiod-1-30-3").Values["cni"]!["enabled"]!);
        Assert.Equal([withoutCni.Release(IstioControlPlanePlanner.BaseRelease).Id], withoutCni.Release("istiod-1-30-3").DependsOn.ToArray());
    }

    [Fact]
    public void Prod_ingress_gateway_autoscales_with_a_disruption_budget_on_the_tagged_revision()
    {
        var settings = Stacks.Settings("prod");
        var values = Stacks.Plan("prod").Release(IstioNames.IngressGatewayRelease).Values;
        Assert.Equal(settings.Ingress.Replicas, (int)values["autoscaling"]!["minReplicas"]!);
        Assert.Equal(1, (int)values["podDisruptionBudget"]!["minAvailable"]!);
        Assert.Equal(settings.Istio.TagRevision, (string)values["revision"]!);
        Assert.Equal(settings.Ingress.Namespace, Stacks.Plan("prod").Release(IstioNames.IngressGatewayRelease).Namespace);
    }

    [Fact]
    public void No_public_service_means_no_ingress_gateway()
    {
        var dev = Stacks.Settings("dev");
        var plan = MeshPlanner.Plan(dev with { Services = [.. dev.Services.Select(s => s with { Public = null })] });
        Assert.DoesNotContain(plan.Releases, r => r.Chart == "gateway");
        var selected = plan.Release("istiod-1-30-3").Values["meshConfig"]!["discoverySelectors"]![0]!["matchExpressions"]![0]!["values"].Strings();
        Assert.DoesNotContain(dev.Ingress.Namespace, selected);
    }

    private static StageKind StageOf(MeshPlan plan, PlanItem item) => plan.Stages.Single(s => s.Items.Contains(item)).Kind;
}
