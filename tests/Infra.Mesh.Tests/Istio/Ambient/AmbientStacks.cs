using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio.Ambient;

/// <summary>The real dev-ambient stack, and shortcuts for what the ambient tests ask of a plan.</summary>
internal static class AmbientStacks
{
    public const string Dev = "dev-ambient";

    /// <summary>dev-ambient with one exact piece of its stack file replaced.</summary>
    public static StackSettings Settings(string oldText, string newText)
    {
        using var files = new StackFiles();
        files.Replace($"Pulumi.{Dev}.yaml", oldText, newText);
        return StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, Dev));
    }

    public static IReadOnlyList<JsonObject> Objects(StackSettings settings) => Stacks.Objects(MeshPlanner.Plan(settings));

    public static JsonObject Service(this IEnumerable<JsonObject> objects, ServiceSettings service) =>
        objects.OfKind("Service").Single(s => s.Namespace() == service.Namespace && s.Name() == service.Name);

    public static string? Label(this JsonObject obj, string key) => (string?)obj["metadata"]!["labels"]?[key];
}
