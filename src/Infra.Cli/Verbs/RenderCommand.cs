using System.CommandLine;
using System.Text.Json.Nodes;
using Infra.Mesh.Rendering;

namespace Infra.Cli.Verbs;

/// <summary><c>infra render STACK</c>: the plan as files per stage, replacing the output directory atomically.</summary>
public static class RenderCommand
{
    public static Command Create(CliContext cli)
    {
        var stack = CliContext.StackArgument();
        var project = CliContext.ProjectOption();
        var format = CliContext.FormatOption();
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Directory to write (default: rendered/<stack> beside Pulumi.yaml). Replaced as a whole, and only if it is empty or an earlier render." };
        var render = new Command("render", "Plan a stack and write its manifests per stage, one values file per Helm release, and plan.md. Nothing is written unless the whole stack is valid.")
        {
            stack, project, output, format,
        };
        render.SetAction(parse => Run(cli, parse.GetValue(stack)!, parse.GetValue(project), parse.GetValue(output), CliContext.IsJson(parse, format)));
        return render;
    }

    private static int Run(CliContext cli, string stack, DirectoryInfo? project, DirectoryInfo? output, bool json)
    {
        var loaded = CliContext.Load(stack, project);
        if (loaded.Plan is not { } plan)
        {
            return cli.Report(stack, loaded, json, writes: true);
        }

        var files = PlanRenderer.Render(plan);
        var directory = output?.FullName ?? Path.Combine(CliContext.ProjectDirectory(project), "rendered", stack);
        try
        {
            OutputDirectory.Replace(directory, files);
        }
        catch (NotARenderException e)
        {
            cli.Error.WriteLine($"error: {e.Message}");
            return InfraCommand.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cli.Error.WriteLine($"error: could not write the render (the previous output is unchanged): {e.Message}");
            return InfraCommand.Failed;
        }

        if (json)
        {
            cli.Out.WriteLine(new JsonObject
            {
                ["stack"] = stack,
                ["valid"] = true,
                ["output"] = directory,
                ["files"] = new JsonArray([.. files.Select(f => (JsonNode)f.Path)]),
                ["summary"] = CliContext.Summary(plan),
            }.ToJsonString(CliContext.Indented));
        }
        else
        {
            cli.Out.WriteLine($"Rendered stack '{stack}' ({CliContext.Describe(plan)}) to {directory}: {files.Count} files.");
            cli.Out.WriteLine($"Start with {Path.Combine(directory, PlanRenderer.PlanDocument)}.");
            cli.WriteWarnings(loaded.Warnings);
        }

        return InfraCommand.Ok;
    }
}
