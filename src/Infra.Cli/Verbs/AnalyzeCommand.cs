using System.CommandLine;
using System.Text.Json.Nodes;
using Infra.Mesh.Analysis;
using Infra.Mesh.Settings;

namespace Infra.Cli.Verbs;

/// <summary>
/// <c>infra analyze STACK</c>: every semantic rule plus the security audit of the plan, as text, JSON or SARIF 2.1.0.
/// Exit codes: 0 no finding of error severity, 1 findings of error severity, 2 bad input (invalid settings, no stack).
/// </summary>
public static class AnalyzeCommand
{
    public const int ErrorFindings = 1;

    public static Command Create(CliContext cli)
    {
        var stack = CliContext.StackArgument();
        var project = CliContext.ProjectOption();
        var format = new Option<string>("--format", "-f") { Description = "text, json, or sarif (SARIF 2.1.0, for code scanning on pull requests).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "sarif");
        var command = new Command("analyze", "Run every semantic rule and a security audit of the plan. Exit 0 with no error findings, 1 with error findings, 2 for bad input.")
        {
            stack, project, format,
        };
        command.SetAction(parse => Run(cli, parse.GetValue(stack)!, parse.GetValue(project), parse.GetValue(format)!));
        return command;
    }

    private static int Run(CliContext cli, string stack, DirectoryInfo? project, string format)
    {
        StackFindings result;
        try
        {
            result = StackAnalyzer.Analyze(ProjectConfigFiles.Load(CliContext.ProjectDirectory(project), stack), audit: true);
        }
        catch (SettingsException e)
        {
            return cli.Report(stack, e.Errors, format != "text", skipped: e.Skipped);
        }
        catch (ProjectNotFoundException e)
        {
            return cli.Report(stack, [new SettingsError("Pulumi.yaml", "(project)", e.Message)], format != "text");
        }

        var findings = result.Findings.OrderBy(f => f.Severity).ThenBy(f => f.Rule.Code, StringComparer.Ordinal).ThenBy(f => f.File, StringComparer.Ordinal).ThenBy(f => f.Line).ToList();
        switch (format)
        {
            case "sarif":
                cli.Out.WriteLine(Sarif.Log(findings).ToJsonString(CliContext.Indented));
                break;
            case "json":
                cli.Out.WriteLine(new JsonObject
                {
                    ["stack"] = stack,
                    ["mesh"] = result.Settings.Mesh.ToString().ToLowerInvariant(),
                    ["environment"] = result.Settings.Environment,
                    ["errors"] = findings.Count(f => f.Severity == Severity.Error),
                    ["warnings"] = findings.Count(f => f.Severity == Severity.Warning),
                    ["notes"] = findings.Count(f => f.Severity == Severity.Note),
                    ["findings"] = new JsonArray([.. findings.Select(f => (JsonNode)FindingJson.Of(f))]),
                    ["skipped"] = new JsonArray([.. result.Skipped.Select(s => (JsonNode)s)]),
                }.ToJsonString(CliContext.Indented));
                break;
            default:
                cli.Out.WriteLine($"Stack '{stack}' ({result.Settings.Mesh.ToString().ToLowerInvariant()}, {result.Settings.Environment}): "
                    + $"{findings.Count(f => f.Severity == Severity.Error)} errors, {findings.Count(f => f.Severity == Severity.Warning)} warnings, "
                    + $"{findings.Count(f => f.Severity == Severity.Note)} notes");
                foreach (var finding in findings)
                {
                    cli.Out.WriteLine($"  {finding}");
                }

                if (!result.Skipped.IsEmpty)
                {
                    // Error findings keep the plan from being made, so its checks (and the audit) wait for them.
                    cli.Out.WriteLine("Further checks skipped until the errors above are fixed:");
                    foreach (var line in result.Skipped)
                    {
                        cli.Out.WriteLine($"  {line}");
                    }
                }

                break;
        }

        return result.HasErrors ? ErrorFindings : InfraCommand.Ok;
    }
}
