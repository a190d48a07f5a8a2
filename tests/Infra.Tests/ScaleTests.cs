using System.Collections.Immutable;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;

namespace Infra.Tests;

/// <summary>
/// The Pulumi program on a 1,000-service synthetic catalog under mocks: every object of the plan reaches Pulumi exactly
/// once, in one ConfigGroup per stage. Counts only; how long the run takes is measured (docs/performance.md), not asserted.
/// </summary>
[Collection(PulumiRuns.Name)]
public class ScaleTests
{
    private const int Services = 1_000;

    [Theory]
    [InlineData(MeshKind.Istio)]
    [InlineData(MeshKind.Linkerd)]
    public async Task A_thousand_services_register_every_object_once_in_one_config_group_per_stage(MeshKind mesh)
    {
        var directory = Directory.CreateTempSubdirectory("infra-scale-").FullName;
        try
        {
            SyntheticCatalog.Create(Services, mesh).WriteProject(directory);
            var plan = MeshPlanner.Plan(StackSettingsLoader.Load(ProjectConfigFiles.Load(directory, SyntheticCatalog.Stack)));

            var run = await PulumiHarness.RunAsync(SyntheticCatalog.Stack, directory);

            foreach (var stage in plan.Stages)
            {
                var planned = stage.Items.OfType<ManifestItem>().Select(m => $"{m.Kind} {m.Namespace}/{m.Name}").Order(StringComparer.Ordinal).ToList();
                var groups = run.OfType("kubernetes:yaml/v2:ConfigGroup").Where(g => g.Name == stage.Name).ToList();
                if (planned.Count == 0)
                {
                    Assert.Empty(groups);
                    continue;
                }

                var objects = Assert.Single(groups).Inputs["objs"];
                var registered = Assert.IsAssignableFrom<IEnumerable<object>>(objects).Cast<ImmutableDictionary<string, object>>()
                    .Select(o => (Kind: (string)o["kind"], Metadata: (ImmutableDictionary<string, object>)o["metadata"]))
                    .Select(o => $"{o.Kind} {(o.Metadata.TryGetValue("namespace", out var ns) ? ns : null)}/{o.Metadata["name"]}")
                    .Order(StringComparer.Ordinal)
                    .ToList();
                Assert.Equal(planned, registered);
            }

            Assert.Equal(plan.Releases.Count(), run.OfType("kubernetes:helm.sh/v3:Release").Count());
            Assert.Equal(plan.Items.OfType<SecretItem>().Count(), run.OfType("kubernetes:core/v1:Secret").Count());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
