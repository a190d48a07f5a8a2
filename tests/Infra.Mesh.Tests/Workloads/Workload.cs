using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Workloads;

/// <summary>Reading the parts of rendered workload objects that tests look at.</summary>
internal static class Workload
{
    public static readonly TheoryData<string> AllStacks = new("dev", "prod", "dev-linkerd", "prod-linkerd");

    public static IReadOnlyList<JsonObject> Objects(string stack) => Stacks.Objects(Stacks.Plan(stack));

    /// <summary>The objects of a stack as planned from a modified copy of the project's files.</summary>
    public static IReadOnlyList<JsonObject> Objects(StackFiles files, string stack) =>
        Stacks.Objects(MeshPlanner.Plan(Settings(files, stack)));

    public static StackSettings Settings(StackFiles files, string stack) =>
        StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, stack));

    public static JsonObject Template(this JsonObject deployment) => deployment["spec"]!["template"]!.AsObject();

    public static JsonObject PodSpec(this JsonObject deployment) => deployment.Template()["spec"]!.AsObject();

    public static JsonObject Container(this JsonObject deployment) => deployment.PodSpec()["containers"]!.AsArray().Single()!.AsObject();

    public static string? PodAnnotation(this JsonObject deployment, string key) => (string?)deployment.Template()["metadata"]!["annotations"]?[key];

    public static string? PodLabel(this JsonObject deployment, string key) => (string?)deployment.Template()["metadata"]!["labels"]?[key];

    /// <summary>A plain environment variable's value, or null when the container does not set it.</summary>
    public static string? Env(this JsonObject container, string name) =>
        (string?)Items(container, "env").SingleOrDefault(e => (string?)e["name"] == name)?["value"];

    public static bool HasEnv(this JsonObject container, string name) => Items(container, "env").Any(e => (string?)e["name"] == name);

    /// <summary>The objects of an array field, empty when the field is absent.</summary>
    public static IReadOnlyList<JsonObject> Items(this JsonNode node, string field) =>
        node[field]?.AsArray().Select(i => i!.AsObject()).ToList() ?? [];
}
