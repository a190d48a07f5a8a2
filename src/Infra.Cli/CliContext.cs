using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infra.Mesh.Analysis;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;

namespace Infra.Cli;

/// <summary>
/// A stack's plan with the warnings of the semantic rules, or every problem that prevents one (bad settings, error
/// findings, no project): bad input, never a stack trace. <paramref name="Skipped"/> names the checks those problems
/// kept from running.
/// </summary>
public sealed record StackLoad(MeshPlan? Plan, IReadOnlyList<SettingsError> Errors, IReadOnlyList<Finding> Warnings, IReadOnlyList<string> Skipped);

/// <summary>
/// What every verb shares: where output goes, the common arguments and options, the load sequence (find the
/// project, read its files, load the settings, plan) and how bad input is reported (exit code 2, every problem listed,
/// nothing written). A new verb is a class in Verbs/ that takes this context and is listed in <see cref="InfraCommand"/>.
/// </summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    // Relaxed escaping keeps quotes in messages readable ('consul', not \u0027consul\u0027); the output is never embedded in HTML.
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Argument<string> StackArgument() =>
        new("stack") { Description = "Stack name: reads Pulumi.<stack>.yaml over the defaults in Pulumi.yaml (e.g. dev, prod)." };

    public static Option<DirectoryInfo?> ProjectOption() =>
        new("--project", "-p") { Description = "Directory holding Pulumi.yaml (default: the nearest one at or above the current directory)." };

    /// <summary><c>--format text|json</c>; read it with <see cref="IsJson"/>.</summary>
    public static Option<string> FormatOption()
    {
        var format = new Option<string>("--format", "-f") { Description = "Output for people (text) or machines (json).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        return format;
    }

    public static bool IsJson(ParseResult parse, Option<string> format) => parse.GetValue(format) == "json";

    /// <summary>
    /// The one load sequence of the tool: project files, settings, the semantic rules and the plan
    /// (<see cref="StackAnalyzer.Load"/>); problems come back, never thrown.
    /// </summary>
    public static StackLoad Load(string stack, DirectoryInfo? project)
    {
        try
        {
            var analysis = StackAnalyzer.Load(ProjectConfigFiles.Load(ProjectDirectory(project), stack));
            return new StackLoad(analysis.Plan, [], analysis.Warnings, []);
        }
        catch (SettingsException e)
        {
            return new StackLoad(null, e.Errors, [], e.Skipped);
        }
        catch (ProjectNotFoundException e)
        {
            return new StackLoad(null, [new SettingsError("Pulumi.yaml", "(project)", e.Message)], [], []);
        }
    }

    /// <summary>Warnings go to standard error, one per line, so they never mix with a command's output.</summary>
    public void WriteWarnings(IReadOnlyList<Finding> warnings)
    {
        foreach (var warning in warnings)
        {
            Error.WriteLine($"  {warning}");
        }
    }

    /// <summary>Reports a stack's problems (standard error, or JSON on standard output) and gives exit code 2.</summary>
    /// <param name="writes">The command writes files (render): the text then says that nothing was; other commands never write.</param>
    /// <param name="skipped">Checks the problems kept from running (<see cref="SettingsException.Skipped"/>): more may follow once they are fixed.</param>
    public int Report(string stack, IReadOnlyList<SettingsError> errors, bool json, bool writes = false, IReadOnlyList<string>? skipped = null)
    {
        ReportErrors(new JsonObject { ["stack"] = stack }, $"Stack '{stack}'", errors, json, writes, skipped);
        return InfraCommand.BadInput;
    }

    /// <summary>Reports a stack that did not load (<see cref="Load"/>): its problems and the checks they kept from running; exit code 2.</summary>
    public int Report(string stack, StackLoad load, bool json, bool writes = false) => Report(stack, load.Errors, json, writes, load.Skipped);

    /// <summary>
    /// Problems under a title (text) or in <paramref name="subject"/> with <c>valid: false</c> (JSON), then the checks
    /// they kept from running (text: a closing paragraph; JSON: <c>skipped</c>, only when there are any).
    /// </summary>
    public void ReportErrors(JsonObject subject, string title, IReadOnlyList<SettingsError> errors, bool json, bool writes = false, IReadOnlyList<string>? skipped = null)
    {
        skipped ??= [];
        if (json)
        {
            subject["valid"] = false;
            subject["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject
            {
                ["file"] = e.File,
                ["key"] = e.Key,
                ["line"] = e.Line,
                ["message"] = e.Message,
            })]);
            if (skipped.Count > 0)
            {
                subject["skipped"] = new JsonArray([.. skipped.Select(s => (JsonNode)s)]);
            }

            Out.WriteLine(subject.ToJsonString(Indented));
            return;
        }

        Error.WriteLine($"{title}: {Count(errors.Count, "problem")}{(writes ? "; nothing was written" : "")}:");
        foreach (var error in errors)
        {
            Error.WriteLine($"  {error}");
        }

        WriteSkipped(skipped);
    }

    /// <summary>The checks that did not run, so a user knows more problems may show once the listed ones are fixed.</summary>
    public void WriteSkipped(IReadOnlyList<string> skipped)
    {
        if (skipped.Count == 0)
        {
            return;
        }

        Error.WriteLine("Further checks skipped until the problems above are fixed:");
        foreach (var line in skipped)
        {
            Error.WriteLine($"  {line}");
        }
    }

    public static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    public static string Describe(MeshPlan plan) => $"{plan.Settings.Mesh.ToString().ToLowerInvariant()}, {plan.Settings.Environment}";

    public static JsonObject Summary(MeshPlan plan) => new()
    {
        ["mesh"] = plan.Settings.Mesh.ToString().ToLowerInvariant(),
        ["environment"] = plan.Settings.Environment,
        ["stages"] = new JsonArray([.. plan.Stages.Where(s => !s.Items.IsEmpty).Select(s => (JsonNode)new JsonObject
        {
            ["name"] = s.Name,
            ["helmReleases"] = new JsonArray([.. s.Items.OfType<HelmReleaseItem>().Select(r => (JsonNode)$"{r.ReleaseName} ({r.Chart} {r.Version})")]),
            ["objects"] = s.Items.Count(i => i is not HelmReleaseItem),
        })]),
        ["services"] = new JsonArray([.. plan.Settings.Services.Select(s => (JsonNode)s.Name)]),
    };

    /// <summary>The given directory, or the nearest one at or above the current directory that holds Pulumi.yaml.</summary>
    public static string ProjectDirectory(DirectoryInfo? project)
    {
        if (project is not null)
        {
            return project.Exists ? project.FullName
                : File.Exists(project.FullName) ? throw new ProjectNotFoundException($"{project.FullName} is a file, not a directory; pass the directory that holds Pulumi.yaml to --project")
                : throw new ProjectNotFoundException($"project directory {project.FullName} does not exist");
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pulumi.yaml")))
            {
                return dir.FullName;
            }
        }

        throw new ProjectNotFoundException("no Pulumi.yaml at or above the current directory; run from the repository or pass --project DIR");
    }
}

/// <summary>No Pulumi project could be found: bad input, reported like a settings error.</summary>
public sealed class ProjectNotFoundException : Exception
{
    public ProjectNotFoundException() { }

    public ProjectNotFoundException(string message) : base(message) { }

    public ProjectNotFoundException(string message, Exception innerException) : base(message, innerException) { }
}
