using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

/// <summary>The fixture stacks with extra <c>infra:</c> keys appended to a stack file, and shortcuts into parsed Istio objects.</summary>
internal static class IstioStacks
{
    /// <summary>Loads <paramref name="stack"/> with <paramref name="config"/> (YAML, indented as under <c>config:</c>) appended.</summary>
    public static StackSettings Settings(string stack, string config)
    {
        using var files = new StackFiles();
        var file = $"Pulumi.{stack}.yaml";
        files.Write(file, files.Read(file).TrimEnd('\n') + "\n" + config);
        return StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, stack));
    }

    public static MeshPlan Plan(string stack, string config) => MeshPlanner.Plan(Settings(stack, config));

    public static IReadOnlyList<SettingsError> Errors(string stack, string config) =>
        Assert.Throws<SettingsException>(() => Settings(stack, config)).Errors;

    /// <summary>One exact replacement in one of the fixture's files.</summary>
    public sealed record Edit(string File, string Old, string New);

    /// <summary>A fixture stack with <paramref name="edits"/> applied to its files, loaded as the tools load it.</summary>
    public static StackSettings Variant(string stack, params Edit[] edits)
    {
        using var files = new StackFiles();
        foreach (var edit in edits)
        {
            files.Replace(edit.File, edit.Old, edit.New);
        }

        return StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, stack));
    }
}
