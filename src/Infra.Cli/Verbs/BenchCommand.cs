using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Settings;

namespace Infra.Cli.Verbs;

/// <summary><c>infra bench [STACKS]</c> or <c>--synthetic N</c>: how long settings, planning and rendering take.</summary>
public static class BenchCommand
{
    /// <summary>The largest catalog <c>bench --synthetic</c> generates.</summary>
    public const int MaxSyntheticServices = 100_000;

    public static Command Create(CliContext cli)
    {
        var project = CliContext.ProjectOption();
        var format = CliContext.FormatOption();
        var stacks = new Argument<string[]>("stacks") { Description = "Stacks to measure (default: every Pulumi.<stack>.yaml).", Arity = ArgumentArity.ZeroOrMore };
        var iterations = new Option<int>("--iterations", "-n") { Description = "Measured runs per stack, after one warm-up run.", DefaultValueFactory = _ => 20 };
        iterations.Validators.Add(result =>
        {
            // A token that is not a number is already reported by the parser; only judge the range of numbers.
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out var n) && n is < 1 or > 10_000)
            {
                result.AddError("--iterations must be between 1 and 10000.");
            }
        });
        var synthetic = new Option<int?>("--synthetic") { Description = $"Measure a generated catalog of N services (1..{MaxSyntheticServices}) instead of the project's stacks." };
        synthetic.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out var n) && n is < 1 or > MaxSyntheticServices)
            {
                result.AddError($"--synthetic must be between 1 and {MaxSyntheticServices}.");
            }
        });
        var mesh = new Option<string>("--mesh") { Description = "The mesh of the --synthetic catalog.", DefaultValueFactory = _ => "istio" };
        mesh.AcceptOnlyFromAmong("istio", "linkerd");
        var noVerification = new Option<bool>("--no-verification") { Description = "With --synthetic: plan the catalog without the in-cluster verification Jobs." };
        var writeProject = new Option<DirectoryInfo?>("--write-project") { Description = "With --synthetic: write the catalog as a project (Pulumi.yaml, Pulumi.synthetic.yaml) to DIR instead of measuring, for timing whole commands such as 'infra render synthetic -p DIR'." };
        var bench = new Command("bench", "Measure how long settings, planning and rendering take per stack (run with -c Release for real numbers).")
        {
            stacks, project, iterations, format, synthetic, mesh, noVerification, writeProject,
        };
        bench.Validators.Add(result =>
        {
            if (result.GetValue(synthetic) is null
                && (result.GetResult(mesh) is { Implicit: false } || result.GetResult(writeProject) is not null || result.GetResult(noVerification) is not null))
            {
                result.AddError("--mesh, --no-verification and --write-project need --synthetic N.");
            }
            else if (result.GetValue(synthetic) is not null && result.GetValue(stacks) is { Length: > 0 })
            {
                result.AddError("--synthetic measures a generated catalog; name no stacks with it.");
            }
        });
        bench.SetAction(parse => parse.GetValue(synthetic) is { } services
            ? RunSynthetic(cli, services, parse.GetValue(mesh) == "linkerd" ? MeshKind.Linkerd : MeshKind.Istio, !parse.GetValue(noVerification),
                parse.GetValue(writeProject), parse.GetValue(iterations), CliContext.IsJson(parse, format))
            : Run(cli, parse.GetValue(stacks) ?? [], parse.GetValue(project), parse.GetValue(iterations), CliContext.IsJson(parse, format)));
        return bench;
    }

    private static int Run(CliContext cli, string[] stacks, DirectoryInfo? project, int iterations, bool json)
    {
        string directory;
        try
        {
            directory = CliContext.ProjectDirectory(project);
        }
        catch (ProjectNotFoundException e)
        {
            return cli.Report("(project)", [new SettingsError("Pulumi.yaml", "(project)", e.Message)], json);
        }

        var names = stacks.Length > 0
            ? stacks
            : [.. ProjectConfigFiles.Stacks(directory)];
        var invalid = names.Select(name => (name, loaded: CliContext.Load(name, project))).FirstOrDefault(s => s.loaded.Plan is null);
        if (invalid.loaded is { } broken)
        {
            return cli.Report(invalid.name, broken, json);
        }

        Write(cli, [.. names.Select(name => Benchmark.Run(directory, name, iterations))], iterations, json);
        return InfraCommand.Ok;
    }

    private static int RunSynthetic(CliContext cli, int services, MeshKind mesh, bool verification, DirectoryInfo? writeProject, int iterations, bool json)
    {
        if (writeProject is not null)
        {
            if (ProjectWriteRefusal(writeProject.FullName) is { } refusal)
            {
                cli.Error.WriteLine($"error: {refusal}");
                return InfraCommand.BadInput;
            }

            SyntheticCatalog.Create(services, mesh, verification).WriteProject(writeProject.FullName);
            cli.Out.WriteLine($"Wrote a synthetic project of {services} services ({mesh.ToString().ToLowerInvariant()}) to {writeProject.FullName}; stack '{SyntheticCatalog.Stack}'.");
            return InfraCommand.Ok;
        }

        Write(cli, [Benchmark.RunSynthetic(services, mesh, verification, iterations)], iterations, json);
        return InfraCommand.Ok;
    }

    /// <summary>
    /// Why <paramref name="directory"/> cannot take a synthetic project, or null: it is a file, or it already holds a Pulumi
    /// project or stack file, which writing would overwrite (a repository's own catalog, say).
    /// </summary>
    private static string? ProjectWriteRefusal(string directory)
    {
        if (File.Exists(directory))
        {
            return $"{directory} is a file; pass --write-project a new or empty directory";
        }

        var existing = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "Pulumi*").Select(Path.GetFileName).OfType<string>()
                .Where(name => name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [];
        return existing.Count == 0
            ? null
            : $"{directory} already holds {string.Join(", ", existing)}; refusing to overwrite a project (nothing was written). Pass --write-project a new directory or one without Pulumi*.yaml or Pulumi*.yml files";
    }

    private static void Write(CliContext cli, IReadOnlyList<StackBenchmark> results, int iterations, bool json)
    {
        if (json)
        {
            cli.Out.WriteLine(new JsonObject
            {
                ["configuration"] = Benchmark.BuildConfiguration,
                ["results"] = new JsonArray([.. results.Select(r => (JsonNode)Benchmark.ToJson(r))]),
            }.ToJsonString(CliContext.Indented));
        }
        else
        {
            cli.Out.WriteLine($"Median of {iterations} runs per stack after one warm-up ({Benchmark.BuildConfiguration} build):");
            foreach (var result in results)
            {
                cli.Out.WriteLine(Benchmark.ToText(result));
            }
        }
    }
}
