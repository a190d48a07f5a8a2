using System.CommandLine;
using System.Text.Json.Nodes;

namespace Infra.Cli.Verbs;

/// <summary><c>infra diff FROM TO</c>: what one stack's render has that the other's has not, and what changed.</summary>
public static class DiffCommand
{
    public static Command Create(CliContext cli)
    {
        var from = new Argument<string>("from") { Description = "The stack to compare from (e.g. dev)." };
        var to = new Argument<string>("to") { Description = "The stack to compare to (e.g. prod)." };
        var project = CliContext.ProjectOption();
        var format = CliContext.FormatOption();
        var diff = new Command("diff", "Render two stacks in memory and list the objects and Helm releases one has that the other has not, and what changed.")
        {
            from, to, project, format,
        };
        diff.SetAction(parse => Run(cli, parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(project), CliContext.IsJson(parse, format)));
        return diff;
    }

    private static int Run(CliContext cli, string fromStack, string toStack, DirectoryInfo? project, bool json)
    {
        var from = CliContext.Load(fromStack, project);
        var to = CliContext.Load(toStack, project);
        if (from.Plan is null || to.Plan is null)
        {
            // Both stacks' problems at once; the project file's are the same for both and reported once.
            cli.ReportErrors(new JsonObject { ["from"] = fromStack, ["to"] = toStack }, $"Stacks '{fromStack}' and '{toStack}'",
                [.. from.Errors.Concat(to.Errors).Distinct()], json);
            return InfraCommand.BadInput;
        }

        var diff = PlanDiff.Between(from.Plan, to.Plan);
        if (json)
        {
            cli.Out.WriteLine(new JsonObject
            {
                ["from"] = fromStack,
                ["to"] = toStack,
                ["added"] = new JsonArray([.. diff.Added.Select(e => (JsonNode)Identity(e))]),
                ["removed"] = new JsonArray([.. diff.Removed.Select(e => (JsonNode)Identity(e))]),
                ["changed"] = new JsonArray([.. diff.Changed.Select(c =>
                {
                    var entry = Identity(c.To);
                    entry["fromStage"] = c.From.Stage;
                    entry["paths"] = new JsonArray([.. c.Changes.Select(v => (JsonNode)v.Path)]);
                    return (JsonNode)entry;
                })]),
                ["unchanged"] = diff.Unchanged,
            }.ToJsonString(CliContext.Indented));
            return InfraCommand.Ok;
        }

        cli.Out.WriteLine($"{fromStack} ({CliContext.Describe(from.Plan)}) -> {toStack} ({CliContext.Describe(to.Plan)}): "
            + $"{diff.Added.Length} added, {diff.Removed.Length} removed, {diff.Changed.Length} changed, {diff.Unchanged} unchanged");
        foreach (var entry in diff.Added)
        {
            cli.Out.WriteLine($"+ {entry}  [{entry.Stage}]");
        }

        foreach (var entry in diff.Removed)
        {
            cli.Out.WriteLine($"- {entry}  [{entry.Stage}]");
        }

        foreach (var change in diff.Changed)
        {
            var moved = change.From.Stage == change.To.Stage ? "" : $" (moved from {change.From.Stage})";
            cli.Out.WriteLine($"~ {change.To}  [{change.To.Stage}]{moved}");
            foreach (var value in change.Changes)
            {
                cli.Out.WriteLine($"    {value.Path}: {Short(value.From)} -> {Short(value.To)}");
            }
        }

        return InfraCommand.Ok;
    }

    private static JsonObject Identity(RenderedEntry entry) => new()
    {
        ["apiVersion"] = entry.ApiVersion,
        ["kind"] = entry.Kind,
        ["namespace"] = entry.Namespace,
        ["name"] = entry.Name,
        ["stage"] = entry.Stage,
    };

    /// <summary>A value on one line for the diff listing: scalars as JSON, subtrees abbreviated.</summary>
    private static string Short(JsonNode? value) => value switch
    {
        null => "(absent)",
        JsonObject o => $"{{{CliContext.Count(o.Count, "key")}}}",
        JsonArray a => $"[{CliContext.Count(a.Count, "item")}]",
        _ => value.ToJsonString() is { Length: > 60 } text ? text[..57] + "..." : value.ToJsonString(),
    };
}
