using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Infra.Mesh.Settings;

namespace Infra.Cli.Verbs;

/// <summary>
/// <c>infra diff STACK [TO]</c>: what changes between two stacks, between a stack and its files at a git ref
/// (<c>--git-ref</c>), or between an earlier render and the stack now (<c>--render</c>). Exit codes as diff(1):
/// 0 equal, 1 different, 2 bad input.
/// </summary>
public static class DiffCommand
{
    public static Command Create(CliContext cli)
    {
        var stack = new Argument<string>("stack") { Description = "The stack to review (the 'to' side unless TO is given, then the 'from' side)." };
        var to = new Argument<string?>("to") { Description = "Another stack to compare with (e.g. diff dev prod).", Arity = ArgumentArity.ZeroOrOne };
        var gitRef = new Option<string?>("--git-ref") { Description = "Compare with the stack's files at this git ref (e.g. origin/main), rendered by the current code." };
        var render = new Option<DirectoryInfo?>("--render") { Description = "Compare with an earlier render of the stack (render --out DIR), e.g. the base branch's rendered by its own code." };
        var project = CliContext.ProjectOption();
        var format = new Option<string>("--format", "-f") { Description = "text, markdown (for a PR comment) or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "markdown", "json");
        var diff = new Command("diff", "Compare a stack's render with another stack's, with its files at a git ref, or with an earlier render: "
            + "weights, policies and Helm values first; exit 0 when equal, 1 when different.")
        {
            stack, to, gitRef, render, project, format,
        };
        diff.SetAction(parse => Run(cli, new DiffRequest(parse.GetValue(stack)!, parse.GetValue(to), parse.GetValue(gitRef), parse.GetValue(render), parse.GetValue(project)), parse.GetValue(format)!));
        return diff;
    }

    private sealed record DiffRequest(string Stack, string? To, string? GitRef, DirectoryInfo? Render, DirectoryInfo? Project);

    private static int Run(CliContext cli, DiffRequest request, string format)
    {
        var json = format == "json";
        var sources = (request.To is not null ? 1 : 0) + (request.GitRef is not null ? 1 : 0) + (request.Render is not null ? 1 : 0);
        if (sources != 1)
        {
            cli.Error.WriteLine("error: compare with exactly one of: a second stack, --git-ref REF, --render DIR. Run 'infra diff --help' for usage.");
            return InfraCommand.BadInput;
        }

        var current = CliContext.Load(request.Stack, request.Project);
        if (current.Plan is null)
        {
            return cli.Report(request.Stack, current, json);
        }

        var after = RenderedEntry.Of(current.Plan).ToList();
        string fromLabel, toLabel;
        IReadOnlyList<RenderedEntry> before;
        if (request.To is { } other)
        {
            var otherLoad = CliContext.Load(other, request.Project);
            if (otherLoad.Plan is null)
            {
                return cli.Report(other, otherLoad, json);
            }

            // `diff dev prod`: what prod gets that dev does not.
            before = after;
            after = [.. RenderedEntry.Of(otherLoad.Plan)];
            (fromLabel, toLabel) = ($"{request.Stack} ({CliContext.Describe(current.Plan)})", $"{other} ({CliContext.Describe(otherLoad.Plan)})");
        }
        else if (request.GitRef is { } gitRef)
        {
            var scratch = Directory.CreateTempSubdirectory("infra-diff-").FullName;
            try
            {
                DiffSources.CheckOut(CliContext.ProjectDirectory(request.Project), request.Stack, gitRef, scratch);
                var atRef = CliContext.Load(request.Stack, new DirectoryInfo(scratch));
                if (atRef.Plan is null)
                {
                    return cli.Report($"{request.Stack}@{gitRef}", atRef, json);
                }

                before = [.. RenderedEntry.Of(atRef.Plan)];
            }
            catch (SettingsException e)
            {
                return cli.Report(request.Stack, e.Errors, json, skipped: e.Skipped);
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }

            (fromLabel, toLabel) = ($"{request.Stack} at {gitRef}", $"{request.Stack} now");
        }
        else
        {
            try
            {
                before = DiffSources.ReadRender(request.Render!.FullName, after);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                cli.Error.WriteLine($"error: {e.Message}");
                return InfraCommand.BadInput;
            }

            (fromLabel, toLabel) = ($"render {request.Render.FullName}", $"{request.Stack} now");
        }

        var result = PlanDiff.Between(before, after);
        cli.Out.Write(format switch
        {
            "json" => Json(result, fromLabel, toLabel).ToJsonString(CliContext.Indented) + Environment.NewLine,
            "markdown" => Markdown(result, fromLabel, toLabel),
            _ => Text(result, fromLabel, toLabel),
        });
        return result.IsEmpty ? InfraCommand.Ok : InfraCommand.Failed;
    }

    private static string Summary(PlanDiff diff) =>
        $"{diff.Added.Length} added, {diff.Removed.Length} removed, {diff.Changed.Count(c => !c.OnlyFingerprint)} changed, {diff.Unchanged} unchanged";

    /// <summary>Fingerprint-only changes (verification Jobs re-run under a new name): one line, not one entry each.</summary>
    private static string? Fingerprints(PlanDiff diff)
    {
        var renamed = diff.Changed.Where(c => c.OnlyFingerprint).ToList();
        return renamed.Count == 0 ? null
            : $"{CliContext.Count(renamed.Count, "fingerprinted object")} renamed {renamed[0].From.Fingerprint} -> {renamed[0].To.Fingerprint} "
              + $"({string.Join(", ", renamed.Select(c => c.To.Kind).Distinct())}; re-run on every plan change)";
    }

    private static string Text(PlanDiff diff, string from, string to)
    {
        var text = new StringBuilder();
        text.AppendLine($"{from} -> {to}: {Summary(diff)}");
        foreach (var change in diff.Changed.Where(c => !c.OnlyFingerprint))
        {
            var moved = change.From.Stage == change.To.Stage ? "" : $" (moved from {change.From.Stage})";
            text.AppendLine($"~ {change.To}  [{change.To.Stage}]{moved}  {change.Category}");
            foreach (var value in change.Meaningful)
            {
                text.AppendLine($"    {value.Path}: {Short(value.From)} -> {Short(value.To)}");
            }
        }

        foreach (var entry in diff.Added)
        {
            text.AppendLine($"+ {entry}  [{entry.Stage}]");
        }

        foreach (var entry in diff.Removed)
        {
            text.AppendLine($"- {entry}  [{entry.Stage}]");
        }

        if (Fingerprints(diff) is { } fingerprints)
        {
            text.AppendLine($"= {fingerprints}");
        }

        return text.ToString();
    }

    private static string Markdown(PlanDiff diff, string from, string to)
    {
        var md = new StringBuilder();
        md.AppendLine($"### Infra diff: {from} → {to}").AppendLine();
        md.AppendLine(diff.IsEmpty ? "No change to what the stack installs." : $"{Summary(diff)}.").AppendLine();
        foreach (var group in diff.Changed.Where(c => !c.OnlyFingerprint).GroupBy(c => c.Category))
        {
            md.AppendLine($"#### {Heading(group.Key)}").AppendLine();
            md.AppendLine("| Object | Path | Before | After |").AppendLine("| --- | --- | --- | --- |");
            foreach (var change in group)
            {
                foreach (var value in change.Meaningful)
                {
                    md.AppendLine($"| {Cell(change.To.ToString())} | `{Cell(value.Path)}` | {Cell(Short(value.From))} | {Cell(Short(value.To))} |");
                }

                if (change.From.Stage != change.To.Stage)
                {
                    md.AppendLine($"| {Cell(change.To.ToString())} | (stage) | {change.From.Stage} | {change.To.Stage} |");
                }
            }

            md.AppendLine();
        }

        foreach (var (title, entries) in new[] { ("Added", diff.Added), ("Removed", diff.Removed) }.Where(g => !g.Item2.IsEmpty))
        {
            md.AppendLine($"#### {title}").AppendLine();
            foreach (var entry in entries)
            {
                md.AppendLine($"- {Cell(entry.ToString())} `[{entry.Stage}]`");
            }

            md.AppendLine();
        }

        if (Fingerprints(diff) is { } fingerprints)
        {
            md.AppendLine($"_{fingerprints}._").AppendLine();
        }

        return md.ToString();
    }

    private static JsonObject Json(PlanDiff diff, string from, string to) => new()
    {
        ["from"] = from,
        ["to"] = to,
        ["equal"] = diff.IsEmpty,
        ["changed"] = new JsonArray([.. diff.Changed.Where(c => !c.OnlyFingerprint).Select(c =>
        {
            var entry = Identity(c.To);
            entry["category"] = c.Category.ToString();
            entry["fromStage"] = c.From.Stage;
            entry["changes"] = new JsonArray([.. c.Meaningful.Select(v => (JsonNode)new JsonObject { ["path"] = v.Path, ["from"] = v.From?.DeepClone(), ["to"] = v.To?.DeepClone() })]);
            return (JsonNode)entry;
        })]),
        ["added"] = new JsonArray([.. diff.Added.Select(e => (JsonNode)Identity(e))]),
        ["removed"] = new JsonArray([.. diff.Removed.Select(e => (JsonNode)Identity(e))]),
        ["fingerprints"] = new JsonArray([.. diff.Changed.Where(c => c.OnlyFingerprint).Select(c =>
        {
            var entry = Identity(c.To);
            entry["from"] = c.From.Fingerprint;
            entry["to"] = c.To.Fingerprint;
            return (JsonNode)entry;
        })]),
        ["unchanged"] = diff.Unchanged,
    };

    private static string Heading(ChangeCategory category) => category switch
    {
        ChangeCategory.Weights => "Traffic weights",
        ChangeCategory.Policies => "Policies",
        ChangeCategory.HelmValues => "Helm values",
        _ => "Other changes",
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static JsonObject Identity(RenderedEntry entry)
    {
        var identity = new JsonObject
        {
            ["apiVersion"] = entry.ApiVersion,
            ["kind"] = entry.Kind,
            ["namespace"] = entry.Namespace,
            ["name"] = entry.Name,
            ["stage"] = entry.Stage,
        };
        if (entry.Fingerprint is not null)
        {
            // The name ends with it; without it the name is the object's identity across plan changes.
            identity["fingerprint"] = entry.Fingerprint;
        }

        return identity;
    }

    /// <summary>A value on one line for the diff listing: scalars as JSON, subtrees abbreviated.</summary>
    private static string Short(JsonNode? value) => value switch
    {
        null => "(absent)",
        JsonObject o => $"{{{CliContext.Count(o.Count, "key")}}}",
        JsonArray a => $"[{CliContext.Count(a.Count, "item")}]",
        _ => value.ToJsonString() is { Length: > 60 } text ? text[..57] + "..." : value.ToJsonString(),
    };
}
