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

    /// <summary>The largest catalog <c>bench --synthetic</c> generates.</summary>
    public const int MaxSyntheticServices = 100_000;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var stack = new Argument<string>("stack") { Description = "Stack name: reads Pulumi.<stack>.yaml over the defaults in Pulumi.yaml (e.g. dev, prod)." };
        var from = new Argument<string>("from") { Description = "The stack to compare from (e.g. dev)." };
        var to = new Argument<string>("to") { Description = "The stack to compare to (e.g. prod)." };
        var project = new Option<DirectoryInfo?>("--project", "-p") { Description = "Directory holding Pulumi.yaml (default: the nearest one at or above the current directory)." };
        var format = new Option<string>("--format", "-f") { Description = "Output for people (text) or machines (json).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Directory to write (default: rendered/<stack> beside Pulumi.yaml). Replaced as a whole, and only if it is empty or an earlier render." };

        var render = new Command("render", "Plan a stack and write its manifests per stage, one values file per Helm release, and plan.md. Nothing is written unless the whole stack is valid.")
        {
            stack, project, output, format,
        };
        render.SetAction(parse => Render(parse.GetValue(stack)!, parse.GetValue(project), parse.GetValue(output), parse.GetValue(format) == "json", stdout, stderr));

        var validate = new Command("validate", "Check a stack's settings and plan without writing anything. Exit code 0 when valid, 2 with every problem listed.")
        {
            stack, project, format,
        };
        validate.SetAction(parse => Validate(parse.GetValue(stack)!, parse.GetValue(project), parse.GetValue(format) == "json", stdout, stderr));

        var diff = new Command("diff", "Render two stacks in memory and list the objects and Helm releases one has that the other has not, and what changed.")
        {
            from, to, project, format,
        };
        diff.SetAction(parse => Diff(parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(project), parse.GetValue(format) == "json", stdout, stderr));

        var stacks = new Argument<string[]>("stacks") { Description = "Stacks to measure (default: every Pulumi.<stack>.yaml).", Arity = ArgumentArity.ZeroOrMore };
        var iterations = new Option<int>("--iterations", "-n") { Description = "Measured runs per stack, after one warm-up run.", DefaultValueFactory = _ => 20 };
        iterations.Validators.Add(result =>
        {
            // A token that is not a number is already reported by the parser; only judge the range of numbers.
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is < 1 or > 10_000)
            {
                result.AddError("--iterations must be between 1 and 10000.");
            }
        });
        var synthetic = new Option<int?>("--synthetic") { Description = $"Measure a generated catalog of N services (1..{MaxSyntheticServices}) instead of the project's stacks." };
        synthetic.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is < 1 or > MaxSyntheticServices)
            {
                result.AddError($"--synthetic must be between 1 and {MaxSyntheticServices}.");
            }
        });
        var mesh = new Option<string>("--mesh") { Description = "The mesh of the --synthetic catalog.", DefaultValueFactory = _ => "istio" };
        mesh.AcceptOnlyFromAmong("istio", "linkerd");
        var writeProject = new Option<DirectoryInfo?>("--write-project") { Description = "With --synthetic: write the catalog as a project (Pulumi.yaml, Pulumi.synthetic.yaml) to DIR instead of measuring, for timing whole commands such as 'infra render synthetic -p DIR'." };
        var bench = new Command("bench", "Measure how long settings, planning and rendering take per stack (run with -c Release for real numbers).")
        {
            stacks, project, iterations, format, synthetic, mesh, writeProject,
        };
        bench.Validators.Add(result =>
        {
            if (result.GetValue(synthetic) is null && (result.GetResult(mesh) is { Implicit: false } || result.GetResult(writeProject) is not null))
            {
                result.AddError("--mesh and --write-project need --synthetic N.");
            }
            else if (result.GetValue(synthetic) is not null && result.GetValue(stacks) is { Length: > 0 })
            {
                result.AddError("--synthetic measures a generated catalog; name no stacks with it.");
            }
        });
        bench.SetAction(parse => parse.GetValue(synthetic) is { } services
            ? BenchSynthetic(services, parse.GetValue(mesh) == "linkerd" ? MeshKind.Linkerd : MeshKind.Istio, parse.GetValue(writeProject), parse.GetValue(iterations), parse.GetValue(format) == "json", stdout)
            : Bench(parse.GetValue(stacks) ?? [], parse.GetValue(project), parse.GetValue(iterations), parse.GetValue(format) == "json", stdout, stderr));

        var root = new RootCommand(
            "infra: plans and renders the service mesh (Istio or Linkerd) under the Clojure services, per Pulumi stack, offline.\n"
            + "Examples: infra validate prod | infra render dev --out /tmp/dev | infra diff dev prod")
        {
            render, validate, diff, bench,
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

    private static int Validate(string stack, DirectoryInfo? project, bool json, TextWriter stdout, TextWriter stderr)
    {
        var loaded = Load(stack, project);
        if (loaded.Plan is not { } plan)
        {
            return Report(stack, loaded.Errors, json, stdout, stderr);
        }

        if (json)
        {
            stdout.WriteLine(new JsonObject { ["stack"] = stack, ["valid"] = true, ["summary"] = Summary(plan) }.ToJsonString(Indented));
        }
        else
        {
            stdout.WriteLine($"{plan.Settings.StackFile}: valid ({Describe(plan)}, {plan.Settings.Services.Length} services, {plan.Items.Count()} plan items)");
        }

        return Ok;
    }

    private static int Render(string stack, DirectoryInfo? project, DirectoryInfo? output, bool json, TextWriter stdout, TextWriter stderr)
    {
        var loaded = Load(stack, project);
        if (loaded.Plan is not { } plan)
        {
            return Report(stack, loaded.Errors, json, stdout, stderr);
        }

        var files = PlanRenderer.Render(plan);
        var directory = output?.FullName ?? Path.Combine(ProjectDirectory(project), "rendered", stack);
        try
        {
            OutputDirectory.Replace(directory, files);
        }
        catch (NotARenderException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: could not write the render (the previous output is unchanged): {e.Message}");
            return Failed;
        }

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
            stdout.WriteLine($"Rendered stack '{stack}' ({Describe(plan)}) to {directory}: {files.Count} files.");
            stdout.WriteLine($"Start with {Path.Combine(directory, PlanRenderer.PlanDocument)}.");
        }

        return Ok;
    }

    private static int Diff(string fromStack, string toStack, DirectoryInfo? project, bool json, TextWriter stdout, TextWriter stderr)
    {
        var from = Load(fromStack, project);
        var to = Load(toStack, project);
        if (from.Plan is null || to.Plan is null)
        {
            // Both stacks' problems at once; the project file's are the same for both and reported once.
            ReportErrors(new JsonObject { ["from"] = fromStack, ["to"] = toStack }, $"Stacks '{fromStack}' and '{toStack}'",
                [.. from.Errors.Concat(to.Errors).Distinct()], json, stdout, stderr);
            return BadInput;
        }

        var diff = PlanDiff.Between(from.Plan, to.Plan);
        if (json)
        {
            stdout.WriteLine(new JsonObject
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
            }.ToJsonString(Indented));
            return Ok;
        }

        stdout.WriteLine($"{fromStack} ({Describe(from.Plan)}) -> {toStack} ({Describe(to.Plan)}): "
            + $"{diff.Added.Length} added, {diff.Removed.Length} removed, {diff.Changed.Length} changed, {diff.Unchanged} unchanged");
        foreach (var entry in diff.Added)
        {
            stdout.WriteLine($"+ {entry}  [{entry.Stage}]");
        }

        foreach (var entry in diff.Removed)
        {
            stdout.WriteLine($"- {entry}  [{entry.Stage}]");
        }

        foreach (var change in diff.Changed)
        {
            var moved = change.From.Stage == change.To.Stage ? "" : $" (moved from {change.From.Stage})";
            stdout.WriteLine($"~ {change.To}  [{change.To.Stage}]{moved}");
            foreach (var value in change.Changes)
            {
                stdout.WriteLine($"    {value.Path}: {Short(value.From)} -> {Short(value.To)}");
            }
        }

        return Ok;
    }

    private static int Bench(string[] stacks, DirectoryInfo? project, int iterations, bool json, TextWriter stdout, TextWriter stderr)
    {
        string directory;
        try
        {
            directory = ProjectDirectory(project);
        }
        catch (ProjectNotFoundException e)
        {
            return Report("(project)", [new SettingsError("Pulumi.yaml", "(project)", e.Message)], json, stdout, stderr);
        }

        var names = stacks.Length > 0
            ? stacks
            : [.. ProjectConfigFiles.Stacks(directory)];
        var invalid = names.Select(name => (name, loaded: Load(name, project))).FirstOrDefault(s => s.loaded.Plan is null);
        if (invalid.loaded is { } broken)
        {
            return Report(invalid.name, broken.Errors, json, stdout, stderr);
        }

        WriteBenchmarks([.. names.Select(name => Benchmark.Run(directory, name, iterations))], iterations, json, stdout);
        return Ok;
    }

    private static int BenchSynthetic(int services, MeshKind mesh, DirectoryInfo? writeProject, int iterations, bool json, TextWriter stdout)
    {
        if (writeProject is not null)
        {
            SyntheticCatalog.Create(services, mesh).WriteProject(writeProject.FullName);
            stdout.WriteLine($"Wrote a synthetic project of {services} services ({mesh.ToString().ToLowerInvariant()}) to {writeProject.FullName}; stack '{SyntheticCatalog.Stack}'.");
            return Ok;
        }

        WriteBenchmarks([Benchmark.RunSynthetic(services, mesh, iterations)], iterations, json, stdout);
        return Ok;
    }

    private static void WriteBenchmarks(IReadOnlyList<StackBenchmark> results, int iterations, bool json, TextWriter stdout)
    {
        if (json)
        {
            stdout.WriteLine(new JsonObject
            {
                ["configuration"] = Benchmark.BuildConfiguration,
                ["results"] = new JsonArray([.. results.Select(r => (JsonNode)Benchmark.ToJson(r))]),
            }.ToJsonString(Indented));
        }
        else
        {
            stdout.WriteLine($"Median of {iterations} runs per stack after one warm-up ({Benchmark.BuildConfiguration} build):");
            foreach (var result in results)
            {
                stdout.WriteLine(Benchmark.ToText(result));
            }
        }
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
        JsonObject o => $"{{{Count(o.Count, "key")}}}",
        JsonArray a => $"[{Count(a.Count, "item")}]",
        _ => value.ToJsonString() is { Length: > 60 } text ? text[..57] + "..." : value.ToJsonString(),
    };

    private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    private static string Describe(MeshPlan plan) => $"{plan.Settings.Mesh.ToString().ToLowerInvariant()}, {plan.Settings.Environment}";

    // Relaxed escaping keeps quotes in messages readable ('consul', not \u0027consul\u0027); the output is never embedded in HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A stack's plan, or every problem that prevents one (bad settings, no project): bad input, never a stack trace.</summary>
    private sealed record Loaded(MeshPlan? Plan, IReadOnlyList<SettingsError> Errors);

    private static Loaded Load(string stack, DirectoryInfo? project)
    {
        try
        {
            var source = ProjectConfigFiles.Load(ProjectDirectory(project), stack);
            return new Loaded(MeshPlanner.Plan(StackSettingsLoader.Load(source)), []);
        }
        catch (SettingsException e)
        {
            return new Loaded(null, e.Errors);
        }
        catch (ProjectNotFoundException e)
        {
            return new Loaded(null, [new SettingsError("Pulumi.yaml", "(project)", e.Message)]);
        }
    }

    private static int Report(string stack, IReadOnlyList<SettingsError> errors, bool json, TextWriter stdout, TextWriter stderr)
    {
        ReportErrors(new JsonObject { ["stack"] = stack }, $"Stack '{stack}'", errors, json, stdout, stderr);
        return BadInput;
    }

    private static void ReportErrors(JsonObject subject, string title, IReadOnlyList<SettingsError> errors, bool json, TextWriter stdout, TextWriter stderr)
    {
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
            stdout.WriteLine(subject.ToJsonString(Indented));
            return;
        }

        stderr.WriteLine($"{title}: {Count(errors.Count, "problem")}; nothing was written:");
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
