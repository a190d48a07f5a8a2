using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;

namespace Infra.Cli;

/// <summary>
/// The offline tool: validates and renders a stack's plan to reviewable files with nothing but .NET
/// (no cluster, cloud account or Pulumi CLI). Exit codes: 0 ok, 2 bad input, 1 unexpected failure.
/// </summary>
public static class InfraCommand
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var stack = new Argument<string>("stack") { Description = "Stack name: reads Pulumi.<stack>.yaml over the defaults in Pulumi.yaml (e.g. dev, prod)." };
        var project = new Option<DirectoryInfo?>("--project", "-p") { Description = "Directory holding Pulumi.yaml (default: the nearest one at or above the current directory)." };
        var format = new Option<string>("--format", "-f") { Description = "Output for people (text) or machines (json).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Directory to write (default: rendered/<stack> beside Pulumi.yaml). Replaced atomically." };

        var render = new Command("render", "Plan a stack and write its manifests per stage, one values file per Helm release, and plan.md.")
        {
            stack, project, output, format,
        };
        render.SetAction(parse => Render(parse.GetValue(stack)!, parse.GetValue(project), parse.GetValue(output), parse.GetValue(format) == "json", stdout, stderr));

        var validate = new Command("validate", "Check a stack's settings and plan without writing anything.")
        {
            stack, project, format,
        };
        validate.SetAction(parse => Validate(parse.GetValue(stack)!, parse.GetValue(project), parse.GetValue(format) == "json", stdout, stderr));

        var root = new RootCommand("infra: plans and renders the service mesh (Istio or Linkerd) under the Clojure services, per Pulumi stack, offline.")
        {
            render, validate,
        };

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine("Run 'infra --help' for usage.");
            return BadInput;
        }

        return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    private static int Validate(string stack, DirectoryInfo? project, bool json, TextWriter stdout, TextWriter stderr) =>
        WithPlan(stack, project, json, stdout, stderr, plan =>
        {
            if (json)
            {
                stdout.WriteLine(new JsonObject { ["stack"] = stack, ["valid"] = true, ["summary"] = Summary(plan) }.ToJsonString(Indented));
            }
            else
            {
                stdout.WriteLine($"{plan.Settings.StackFile}: valid ({plan.Settings.Mesh.ToString().ToLowerInvariant()}, {plan.Settings.Environment}, {plan.Settings.Services.Length} services, {plan.Items.Count()} plan items)");
            }

            return Ok;
        });

    private static int Render(string stack, DirectoryInfo? project, DirectoryInfo? output, bool json, TextWriter stdout, TextWriter stderr) =>
        WithPlan(stack, project, json, stdout, stderr, plan =>
        {
            var files = PlanRenderer.Render(plan);
            var directory = output?.FullName ?? Path.Combine(ProjectDirectory(project), "rendered", stack);
            OutputDirectory.Replace(directory, files);
            if (json)
            {
                stdout.WriteLine(new JsonObject
                {
                    ["stack"] = stack,
                    ["valid"] = true,
                    ["output"] = directory,
                    ["files"] = new JsonArray([.. files.Select(f => (JsonNode)f.Path)]),
                    ["summary"] = Summary(plan),
                }.ToJsonString(Indented));
            }
            else
            {
                stdout.WriteLine($"Rendered stack '{stack}' ({plan.Settings.Mesh.ToString().ToLowerInvariant()}, {plan.Settings.Environment}) to {directory}: {files.Count} files.");
                stdout.WriteLine($"Start with {Path.Combine(directory, PlanRenderer.PlanDocument)}.");
            }

            return Ok;
        });

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Loads and plans a stack; turns bad input into a clear report and exit code 2, never a stack trace.</summary>
    private static int WithPlan(string stack, DirectoryInfo? project, bool json, TextWriter stdout, TextWriter stderr, Func<MeshPlan, int> action)
    {
        MeshPlan plan;
        try
        {
            var source = ProjectConfigFiles.Load(ProjectDirectory(project), stack);
            plan = MeshPlanner.Plan(StackSettingsLoader.Load(source));
        }
        catch (SettingsException e)
        {
            ReportErrors(stack, e.Errors, json, stdout, stderr);
            return BadInput;
        }
        catch (ProjectNotFoundException e)
        {
            ReportErrors(stack, [new SettingsError("Pulumi.yaml", "(project)", e.Message)], json, stdout, stderr);
            return BadInput;
        }

        try
        {
            return action(plan);
        }
        catch (IOException e)
        {
            stderr.WriteLine($"error: could not write the render: {e.Message}");
            return Failed;
        }
        catch (UnauthorizedAccessException e)
        {
            stderr.WriteLine($"error: could not write the render: {e.Message}");
            return Failed;
        }
    }

    private static void ReportErrors(string stack, IReadOnlyList<SettingsError> errors, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (json)
        {
            stdout.WriteLine(new JsonObject
            {
                ["stack"] = stack,
                ["valid"] = false,
                ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject
                {
                    ["file"] = e.File,
                    ["key"] = e.Key,
                    ["line"] = e.Line,
                    ["message"] = e.Message,
                })]),
            }.ToJsonString(Indented));
            return;
        }

        stderr.WriteLine($"Stack '{stack}' has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}; nothing was written:");
        foreach (var error in errors)
        {
            stderr.WriteLine($"  {error}");
        }
    }

    private static JsonObject Summary(MeshPlan plan) => new()
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
    private static string ProjectDirectory(DirectoryInfo? project)
    {
        if (project is not null)
        {
            return project.Exists ? project.FullName : throw new ProjectNotFoundException($"project directory {project.FullName} does not exist");
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
