using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Testing.Support;
using Infra.Testing;

namespace Infra.Mesh.Tests.Conformance;

/// <summary>
/// Every stack's whole render against upstream reference data: each object valid for its schema (built-in kinds by
/// KubernetesClient model round-trip, mesh kinds by their CRD's openAPIV3Schema), each Helm value a key of the chart.
/// Holds for any catalog, so it runs over the fixture's stacks and the repository's example stacks alike.
/// </summary>
public class RenderConformanceTests
{
    private static readonly CrdSchemaCatalog[] Crds = [CrdSchemaCatalog.Istio(), CrdSchemaCatalog.Linkerd(), CrdSchemaCatalog.GatewayApi(), CrdSchemaCatalog.Flagger()];

    [Theory]
    [MemberData(nameof(Stacks.Everywhere), MemberType = typeof(Stacks))]
    public void Every_rendered_object_is_valid_for_its_schema(string project, string stack)
    {
        var errors = new List<string>();
        foreach (var obj in Stacks.Objects(Plan(project, stack)))
        {
            var apiVersion = (string)obj["apiVersion"]!;
            var kind = (string)obj["kind"]!;
            if (BuiltinObjectValidator.Knows(apiVersion, kind))
            {
                errors.AddRange(BuiltinObjectValidator.Validate(obj));
            }
            else if (Crds.FirstOrDefault(c => c.Knows(apiVersion, kind)) is { } crds)
            {
                errors.AddRange(crds.Validate(obj));
            }
            else if (!ExternallyDefined(apiVersion))
            {
                errors.Add($"{apiVersion} {kind}: no schema in the reference data to check it against");
            }
        }

        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(Stacks.Everywhere), MemberType = typeof(Stacks))]
    public void Every_helm_value_of_a_reference_chart_exists_in_that_charts_values_yaml(string project, string stack)
    {
        var errors = new List<string>();
        foreach (var release in Plan(project, stack).Releases)
        {
            if (Chart(release) is not { } chart)
            {
                continue;
            }

            var values = ObjectJson.Values(release, source => JsonValue.Create(source.Placeholder));
            errors.AddRange(chart.UnknownKeys(values).Select(k => $"{release.ReleaseName}: {k}"));
            errors.AddRange(chart.SchemaErrors(values).Select(e => $"{release.ReleaseName}: {e}"));
        }

        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(Stacks.Everywhere), MemberType = typeof(Stacks))]
    public void Releases_of_the_mesh_charts_pin_the_reference_versions(string project, string stack)
    {
        foreach (var release in Plan(project, stack).Releases.Where(r => Chart(r) is not null && (r.Repository.Contains("istio", StringComparison.Ordinal) || r.Repository.Contains("linkerd", StringComparison.Ordinal) || r.Repository.Contains("flagger", StringComparison.Ordinal))))
        {
            Assert.Equal(ReferenceChartVersion(release), release.Version);
        }
    }

    [Fact]
    public void Every_addon_chart_of_the_stacks_is_checked_against_its_reference_values()
    {
        var releases = Stacks.Everywhere.SelectMany(row => Plan((string)row[0], (string)row[1]).Releases).ToList();
        var addons = releases
            .Where(r => !r.Repository.Contains("istio", StringComparison.Ordinal) && !r.Repository.Contains("linkerd", StringComparison.Ordinal) && !r.Repository.Contains("flagger", StringComparison.Ordinal))
            .Select(r => r.Chart).ToHashSet();

        Assert.Equal(["grafana", "jaeger", "kiali-server", "prometheus"], addons.Order(StringComparer.Ordinal));
        // linkerd2-cni, the one chart ../shared/reference lacks, is installed with its defaults.
        Assert.All(releases.Where(r => r.Values.Count > 0 || !r.SecretValues.IsEmpty), r => Assert.NotNull(Chart(r)));
        // The check bites: a misspelt key of an addon chart is reported.
        var grafana = Stacks.Plan("dev").Releases.Single(r => r.Chart == "grafana");
        Assert.Equal(["admin.existingSecrets"], Chart(grafana)!.UnknownKeys(new JsonObject { ["admin"] = new JsonObject { ["existingSecrets"] = "x" } }));
        Assert.Equal(["adminPassword"], Chart(grafana)!.UnknownKeys(new JsonObject { ["adminPassword"] = "x" }));
    }

    internal static MeshPlan Plan(string project, string stack) => MeshPlanner.Plan(Stacks.Settings(project, stack));

    /// <summary>Every chart the stacks install: the mesh charts and the addons, each from ../shared/reference.</summary>
    internal static HelmChartValues? Chart(HelmReleaseItem release) => release.Repository switch
    {
        "https://kiali.org/helm-charts" => Addon(release).WithUndeclaredPaths(Infra.Mesh.Istio.IstioObservabilityPlanner.KialiUndeclaredValues.Keys),
        "https://grafana.github.io/helm-charts" => Addon(release).WithUndeclaredPaths(Infra.Mesh.Istio.IstioObservabilityPlanner.GrafanaUndeclaredValues.Keys),
        "https://prometheus-community.github.io/helm-charts" or "https://jaegertracing.github.io/helm-charts" => Addon(release),
        "https://istio-release.storage.googleapis.com/charts" => HelmChartValues.Istio(release.Chart),
        "https://helm.linkerd.io/edge" when release.Chart is "linkerd-crds" or "linkerd-control-plane" or "linkerd-viz" => Linkerd.LinkerdStacks.ChartValues(release.Chart),
        "https://flagger.app" => HelmChartValues.Flagger(release.Chart),
        _ => null,
    };

    private static HelmChartValues Addon(HelmReleaseItem release) =>
        HelmChartValues.Load(Path.Combine(ReferenceData.AddonChart(release.Chart, release.Version), "values.yaml"));

    /// <summary>The version in the reference chart's own Chart.yaml.</summary>
    private static string ReferenceChartVersion(HelmReleaseItem release)
    {
        var folder = release.Repository switch
        {
            "https://istio-release.storage.googleapis.com/charts" => ReferenceData.IstioChart(release.Chart),
            "https://flagger.app" => ReferenceData.FlaggerChart(release.Chart),
            _ => ReferenceData.LinkerdChart(release.Chart),
        };
        var chart = YamlJson.ParseAll(File.ReadAllText(Path.Combine(folder, "Chart.yaml"))).Single()!;
        return (string)chart["version"]!;
    }

    /// <summary>API groups whose CRDs come from projects outside the reference data (cert-manager).</summary>
    private static bool ExternallyDefined(string apiVersion) => apiVersion.StartsWith("cert-manager.io/", StringComparison.Ordinal);
}
