using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Tests.Support;

/// <summary>The repository's real stacks (Pulumi.yaml + Pulumi.&lt;stack&gt;.yaml), loaded and planned as the tools do.</summary>
public static class Stacks
{
    public static string ProjectDirectory { get; } = FindProjectDirectory();

    public static StackSettings Settings(string stack) =>
        StackSettingsLoader.Load(ProjectConfigFiles.Load(ProjectDirectory, stack));

    public static MeshPlan Plan(string stack) => MeshPlanner.Plan(Settings(stack));

    /// <summary>Every object of a plan as the render writes it, parsed back to JSON.</summary>
    public static IReadOnlyList<JsonObject> Objects(MeshPlan plan) =>
        [.. plan.Stages.SelectMany(PlanRenderer.Objects)];

    public static IEnumerable<JsonObject> OfKind(this IEnumerable<JsonObject> objects, string kind) =>
        objects.Where(o => (string?)o["kind"] == kind);

    public static JsonObject Named(this IEnumerable<JsonObject> objects, string kind, string name) =>
        objects.OfKind(kind).Single(o => (string?)o["metadata"]!["name"] == name);

    private static string FindProjectDirectory()
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
