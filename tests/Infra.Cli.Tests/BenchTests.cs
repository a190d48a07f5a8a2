using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Mesh.Tests.Support;

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
}
