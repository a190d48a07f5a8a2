using System.Text.Json.Nodes;
using Infra.Mesh.Istio;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;
using Infra.Testing.Support;
using Infra.Testing;

namespace Infra.Mesh.Tests.Istio;

/// <summary>
/// The stack files are checked against upstream schemas by the conformance tests; these cover Istio plans the stack
/// files do not produce (two revisions mid-upgrade, istiod without autoscaling or CNI, a full canary) the same way.
/// </summary>
public class IstioSchemaTests
{
    private static readonly Dictionary<string, Func<MeshPlan>> Plans = new()
    {
        ["prod mid-upgrade with two revisions"] = () => IstioStacks.Plan("prod", IstioUpgradeTests.AddRevision),
        ["dev with two fixed istiod replicas, no CNI, registry only"] = () => IstioStacks.Plan(
            "dev", "  infra:istio:\n    cni: false\n    outboundTrafficPolicy: REGISTRY_ONLY\n    istiod:\n      minReplicas: 2\n      maxReplicas: 2\n"),
        ["dev with a public catalog fully on its canary"] = PublicCatalogOnCanary,
    };

    public static TheoryData<string> Variants => new(Plans.Keys);

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_istio_object_is_valid_for_its_crd(string variant)
    {
        var crds = CrdSchemaCatalog.Istio();
        var objects = Stacks.Objects(Plans[variant]())
            .Where(o => ((string)o["apiVersion"]!).Contains(".istio.io/", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(objects);
        Assert.All(objects, o => Assert.True(crds.Knows((string)o["apiVersion"]!, (string)o["kind"]!), $"{o["kind"]} has no CRD"));
        Assert.Empty(objects.SelectMany(crds.Validate));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_value_of_an_istio_chart_is_declared_by_the_chart(string variant)
    {
        var releases = Plans[variant]().Releases.Where(r => r.Repository == IstioSettings.ChartRepository).ToList();
        Assert.Contains(releases, r => r.Chart == "istiod");
        foreach (var release in releases)
        {
            var chart = HelmChartValues.Istio(release.Chart);
            var values = ObjectJson.Values(release, source => JsonValue.Create(source.Placeholder));
            Assert.Empty(chart.UnknownKeys(values));
            Assert.Empty(chart.SchemaErrors(values));
        }
    }

    [Fact]
    public void The_gateway_chart_is_also_checked_against_its_values_schema()
    {
        var gateway = Stacks.Plan("prod").Release(IstioNames.IngressGatewayRelease);
        var chart = HelmChartValues.Istio(gateway.Chart);
        Assert.True(chart.HasSchema);
        Assert.Empty(chart.SchemaErrors(gateway.Values));
        // The schema is strict: a key the chart does not know is an error, so the check above can fail.
        Assert.NotEmpty(chart.SchemaErrors(new JsonObject { ["replicas"] = 3 }));
    }

    [Fact]
    public void A_plan_is_rendered_byte_for_byte_the_same_every_time()
    {
        static string Render(MeshPlan plan) => string.Join("\n", PlanRenderer.Render(plan).Select(f => f.Path + "\n" + f.Content));
        Assert.Equal(Render(Stacks.Plan("prod")), Render(Stacks.Plan("prod")));
    }

    private static MeshPlan PublicCatalogOnCanary()
    {
        var dev = Stacks.Settings("dev");
        return MeshPlanner.Plan(dev with
        {
            Services = [.. dev.Services.Select(s => s.Name != "catalog" ? s : s with
            {
                Canary = new CanarySettings("3.3.0", 100, 1, "x-canary", "always"),
                Public = new PublicSettings("catalog.acme.example", ["/products", "/"]),
            })],
        });
    }
}
