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
    private static readonly CrdSchemaCatalog[] Crds = [CrdSchemaCatalog.Istio(), CrdSchemaCatalog.Linkerd(), CrdSchemaCatalog.GatewayApi()];

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
        foreach (var release in Plan(project, stack).Releases.Where(r => Chart(r) is not null))
        {
            Assert.Equal(release.Repository.Contains("istio", StringComparison.Ordinal) ? ReferenceData.IstioVersion : ReferenceData.LinkerdChartVersion, release.Version);
        }
    }

    private static MeshPlan Plan(string project, string stack) => MeshPlanner.Plan(Stacks.Settings(project, stack));

    /// <summary>The mesh charts, whose values are checked here; the addon charts' values.yaml are in the reference data but not checked yet.</summary>
    private static HelmChartValues? Chart(HelmReleaseItem release) => release.Repository switch
    {
        "https://istio-release.storage.googleapis.com/charts" => HelmChartValues.Istio(release.Chart),
        "https://helm.linkerd.io/edge" when release.Chart is "linkerd-crds" or "linkerd-control-plane" or "linkerd-viz" => HelmChartValues.Linkerd(release.Chart),
        _ => null,
    };

    /// <summary>API groups whose CRDs come from projects outside the reference data (cert-manager).</summary>
    private static bool ExternallyDefined(string apiVersion) => apiVersion.StartsWith("cert-manager.io/", StringComparison.Ordinal);
}
