using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Tests.Scale;

/// <summary>The generated catalog that benchmarks and scale tests use: valid, deterministic, and the same from disk as in memory.</summary>
public class SyntheticCatalogTests
{
    [Theory]
    [InlineData(1, MeshKind.Istio)]
    [InlineData(7, MeshKind.Linkerd)]
    [InlineData(120, MeshKind.Istio)]
    [InlineData(120, MeshKind.Linkerd)]
    public void A_synthetic_catalog_validates_and_has_the_services_asked_for(int count, MeshKind mesh)
    {
        var settings = StackSettingsLoader.Load(SyntheticCatalog.Create(count, mesh));

        Assert.Equal(mesh, settings.Mesh);
        Assert.Equal(Enumerable.Range(0, count).Select(SyntheticCatalog.Name), settings.Services.Select(s => s.Name));
        Assert.All(settings.Services, s => Assert.InRange(s.Calls.Length, 0, SyntheticCatalog.CallsPerService));
        Assert.Equal((count + SyntheticCatalog.ServicesPerNamespace - 1) / SyntheticCatalog.ServicesPerNamespace, settings.Namespaces.Length);
        if (count >= 120)
        {
            // Big enough for every feature the generator varies: calls across namespaces, restricted calls, canaries, public hosts.
            Assert.Contains(settings.Services, s => s.Calls.Any(c => settings.Service(c.Service).Namespace != s.Namespace));
            Assert.Contains(settings.Services, s => s.Calls.Any(c => !c.Paths.IsEmpty));
            Assert.Contains(settings.Services, s => s.Canary is not null);
            Assert.Contains(settings.Services, s => s.Public is not null);
        }
    }

    [Fact]
    public void Without_verification_the_plan_has_no_verification_stage_and_everything_else_is_the_same()
    {
        var with = MeshPlanner.Plan(StackSettingsLoader.Load(SyntheticCatalog.Create(20, MeshKind.Istio)));
        var without = MeshPlanner.Plan(StackSettingsLoader.Load(SyntheticCatalog.Create(20, MeshKind.Istio, verification: false)));

        Assert.NotEmpty(with.Stage(StageKind.Verification).Items);
        Assert.Empty(without.Stage(StageKind.Verification).Items);
        Assert.Equal(
            with.Stages.Where(s => s.Kind != StageKind.Verification).SelectMany(s => s.Items).Select(i => i.Id),
            without.Stages.Where(s => s.Kind != StageKind.Verification).SelectMany(s => s.Items).Select(i => i.Id));
    }

    [Fact]
    public void The_same_size_always_renders_the_same_bytes()
    {
        var first = PlanRenderer.Render(MeshPlanner.Plan(StackSettingsLoader.Load(SyntheticCatalog.Create(60, MeshKind.Linkerd))));
        var second = PlanRenderer.Render(MeshPlanner.Plan(StackSettingsLoader.Load(SyntheticCatalog.Create(60, MeshKind.Linkerd))));

        Assert.Equal(first, second);
    }

    [Fact]
    public void The_written_project_loads_to_the_same_plan_as_the_catalog_in_memory()
    {
        var directory = Directory.CreateTempSubdirectory("infra-synthetic-").FullName;
        try
        {
            var catalog = SyntheticCatalog.Create(40, MeshKind.Istio);
            catalog.WriteProject(directory);

            var fromDisk = PlanRenderer.Render(MeshPlanner.Plan(StackSettingsLoader.Load(ProjectConfigFiles.Load(directory, SyntheticCatalog.Stack))));
            var inMemory = PlanRenderer.Render(MeshPlanner.Plan(StackSettingsLoader.Load(catalog)));

            Assert.Equal(inMemory, fromDisk);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
