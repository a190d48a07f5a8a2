using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

/// <summary>The benchmark command's contract (what it measures and reports), never its timings.</summary>
public class BenchTests
{
    [Fact]
    public void Bench_reports_each_phase_and_the_render_size_for_the_stacks_asked()
    {
        var run = InfraTool.Run("bench", "dev", "dev-linkerd", "--iterations", "2", "--format", "json", "--project", Stacks.ProjectDirectory);

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        var results = JsonNode.Parse(run.Stdout)!["results"]!.AsArray();
        Assert.Equal(["dev", "dev-linkerd"], results.Select(r => (string)r!["stack"]!));
        foreach (var result in results)
        {
            Assert.Equal(2, (int)result!["iterations"]!);
            Assert.Equal(["settings", "plan", "render"], result["phases"]!.AsArray().Select(p => (string)p!["phase"]!));
            Assert.All(result["phases"]!.AsArray(), p => Assert.True((double)p!["minMs"]! <= (double)p["medianMs"]! && (double)p["medianMs"]! <= (double)p["maxMs"]!));
            var plan = Stacks.Plan((string)result["stack"]!);
            Assert.Equal(Infra.Mesh.Rendering.PlanRenderer.Render(plan).Count, (int)result["files"]!);
        }
    }

    [Fact]
    public void Bench_defaults_to_every_stack_of_the_project()
    {
        var run = InfraTool.Run("bench", "--iterations", "1", "--format", "json", "--project", Stacks.ProjectDirectory);

        var stacks = JsonNode.Parse(run.Stdout)!["results"]!.AsArray().Select(r => (string)r!["stack"]!);
        var expected = Directory.GetFiles(Stacks.ProjectDirectory, "Pulumi.*.yaml").Select(f => Path.GetFileName(f)[7..^5]).Order(StringComparer.Ordinal);
        Assert.Equal(expected, stacks);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    public void Bench_rejects_a_bad_iteration_count_with_exit_2(string iterations)
    {
        var run = InfraTool.Run("bench", "dev", "--iterations", iterations, "--project", Stacks.ProjectDirectory);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("--iterations", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_of_a_broken_stack_exits_2_naming_the_key()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "weight: 10", "weight: 150");

        var run = InfraTool.Run("bench", "dev", "--iterations", "1", "--project", files.Directory);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("infra:serviceOverrides.orders.canary.weight", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("istio")]
    [InlineData("linkerd")]
    public void Bench_of_a_synthetic_catalog_reports_its_size_objects_and_largest_entry(string mesh)
    {
        var run = InfraTool.Run("bench", "--synthetic", "30", "--mesh", mesh, "--iterations", "1", "--format", "json");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        var result = JsonNode.Parse(run.Stdout)!["results"]!.AsArray().Single()!;
        Assert.Equal($"synthetic-30-{mesh}", (string)result["stack"]!);
        Assert.Equal(30, (int)result["services"]!);
        var plan = Infra.Mesh.Planner.MeshPlanner.Plan(Infra.Mesh.Settings.StackSettingsLoader.Load(
            Infra.Mesh.Settings.SyntheticCatalog.Create(30, mesh == "linkerd" ? Infra.Mesh.Settings.MeshKind.Linkerd : Infra.Mesh.Settings.MeshKind.Istio)));
        var entries = RenderedEntry.Of(plan).ToList();
        Assert.Equal(entries.Count(e => e.Kind != RenderedEntry.HelmReleaseKind), (int)result["objects"]!);
        Assert.Equal(entries.Max(e => e.Content.ToJsonString().Length), (int)result["largest"]!["size"]!);
        Assert.True((long)result["allocatedBytes"]! > 0);
        Assert.True((long)result["peakWorkingSetBytes"]! > 0);
        Assert.True((double)result["cpuMs"]! >= 0);
    }

    [Fact]
    public void Bench_writes_a_synthetic_project_that_render_accepts()
    {
        var directory = Directory.CreateTempSubdirectory("infra-synthetic-").FullName;
        try
        {
            var written = InfraTool.Run("bench", "--synthetic", "12", "--mesh", "linkerd", "--write-project", directory);
            var rendered = InfraTool.Run("render", "synthetic", "--project", directory);

            Assert.Equal(InfraCommand.Ok, written.ExitCode);
            Assert.Equal(InfraCommand.Ok, rendered.ExitCode);
            Assert.Contains("linkerd", rendered.Stdout, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(directory, "rendered", "synthetic", "plan.md")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("Pulumi.yaml")]
    [InlineData("Pulumi.staging.yaml")]
    [InlineData("Pulumi.yml")]
    public void Bench_refuses_to_write_a_synthetic_project_over_an_existing_one(string existing)
    {
        using var files = new StackFiles();
        File.Move(files.PathOf("Pulumi.yaml"), files.PathOf("catalog.bak"));
        File.Copy(files.PathOf("catalog.bak"), files.PathOf(existing));
        var before = RenderedTree.Of(files.Directory);

        var run = InfraTool.Run("bench", "--synthetic", "3", "-n", "1", "--write-project", files.Directory);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains(existing, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was written", run.Stderr, StringComparison.Ordinal);
        Assert.True(before.SameAs(RenderedTree.Of(files.Directory)));
    }

    [Theory]
    [InlineData("--synthetic", "--mesh", "linkerd")]
    [InlineData("--synthetic", "--no-verification")]
    [InlineData("--synthetic", "--synthetic", "0")]
    [InlineData("--synthetic", "--synthetic", "10", "dev")]
    [InlineData("consul", "--synthetic", "10", "--mesh", "consul")]
    public void Bench_rejects_synthetic_options_that_do_not_fit_with_exit_2(string named, params string[] args)
    {
        var run = InfraTool.Run(["bench", .. args, "--iterations", "1"]);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains(named, run.Stderr, StringComparison.Ordinal);
    }
}
