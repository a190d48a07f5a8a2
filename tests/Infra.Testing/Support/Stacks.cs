using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;
using Xunit;

namespace Infra.Testing.Support;

/// <summary>
/// The tests' own project (<c>tests/fixtures/shop</c>: Pulumi.yaml + Pulumi.&lt;stack&gt;.yaml), loaded and planned as the
/// tools do. Tests of behaviour assert on its services; the repository's example stacks are checked only for what
/// must hold for any catalog (<see cref="RepositoryDirectory"/>).
/// </summary>
public static class Stacks
{
    /// <summary>The repository root: the example project whose catalog users replace with their own.</summary>
    public static string RepositoryDirectory { get; } = FindRepositoryDirectory();

    /// <summary>The fixture project the tests of behaviour read.</summary>
    public static string ProjectDirectory { get; } = Path.Combine(RepositoryDirectory, FixtureProject);

    private const string FixtureProject = "tests/fixtures/shop";

    /// <summary>
    /// Every stack of the fixture project and of the repository's example project, as (project directory relative to
    /// the repository root, stack): what must hold for any catalog is checked on both.
    /// </summary>
    public static TheoryData<string, string> Everywhere
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var project in new[] { FixtureProject, "." })
            {
                foreach (var stack in ProjectConfigFiles.Stacks(Path.Combine(RepositoryDirectory, project)))
                {
                    data.Add(project, stack);
                }
            }

            return data;
        }
    }

    /// <summary>A stack of a project directory relative to the repository root (see <see cref="Everywhere"/>).</summary>
    public static StackSettings Settings(string project, string stack) =>
        StackSettingsLoader.Load(ProjectConfigFiles.Load(Path.Combine(RepositoryDirectory, project), stack));

    public static StackSettings Settings(string stack) =>
        StackSettingsLoader.Load(ProjectConfigFiles.Load(ProjectDirectory, stack));

    public static MeshPlan Plan(string stack) => MeshPlanner.Plan(Settings(stack));

    /// <summary>Every object of a plan as the render writes it, parsed back to JSON.</summary>
    public static IReadOnlyList<JsonObject> Objects(MeshPlan plan) =>
        [.. plan.Stages.SelectMany(PlanRenderer.Objects)];

    public static HelmReleaseItem Release(this MeshPlan plan, string name) => plan.Releases.Single(r => r.ReleaseName == name);

    private static string FindRepositoryDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pulumi.yaml")) && File.Exists(Path.Combine(dir.FullName, "Infra.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Pulumi.yaml beside Infra.sln) above the test binaries.");
    }
}
