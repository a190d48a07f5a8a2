using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

public class CommandTests
{
    private const string WeightKey = "infra:serviceOverrides.orders.canary.weight";

    private static void BreakCanaryWeight(StackFiles files) => files.Replace("Pulumi.dev.yaml", "weight: 10", "weight: 150");

    [Fact]
    public void A_broken_stack_exits_2_names_file_and_key_and_leaves_the_previous_render_untouched()
    {
        using var files = new StackFiles();
        using var output = new TempDirectory();
        var before = RenderTests.Render("dev", output.Path, files.Directory);
        var timestamps = Directory.EnumerateFiles(output.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        BreakCanaryWeight(files);

        var run = InfraTool.Run("render", "dev", "--project", files.Directory, "--out", output.Path);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains(run.Stderr.Split('\n'), line => line.TrimStart().StartsWith("Pulumi.dev.yaml:", StringComparison.Ordinal)
            && line.Contains($": {WeightKey}: ", StringComparison.Ordinal) && line.Contains("150", StringComparison.Ordinal));
        Assert.True(before.SameAs(RenderedTree.Of(output.Path)));
        Assert.All(timestamps, t => Assert.Equal(t.Value, File.GetLastWriteTimeUtc(t.Key)));
        Assert.Empty(output.Siblings);
    }

    [Fact]
    public void A_broken_stack_creates_no_output_directory()
    {
        using var files = new StackFiles();
        using var output = new TempDirectory();
        BreakCanaryWeight(files);

        Assert.Equal(InfraCommand.BadInput, InfraTool.Run("render", "dev", "--project", files.Directory, "--out", output.Path).ExitCode);
        Assert.False(Directory.Exists(output.Path));
        Assert.Empty(output.Siblings);
    }

    [Fact]
    public void Render_refuses_to_replace_a_directory_that_is_not_an_earlier_render()
    {
        using var files = new StackFiles();
        var before = RenderedTree.Of(files.Directory);

        var run = InfraTool.Run("render", "dev", "--project", files.Directory, "--out", files.Directory);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("not an earlier render", run.Stderr, StringComparison.Ordinal);
        Assert.True(before.SameAs(RenderedTree.Of(files.Directory)));
    }

    [Fact]
    public void Render_without_out_writes_beside_the_project_file()
    {
        using var files = new StackFiles();

        var run = InfraTool.Run("render", "prod", "--project", files.Directory);

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        Assert.True(File.Exists(Path.Combine(files.Directory, "rendered", "prod", "plan.md")));
    }

    [Fact]
    public void Json_errors_carry_file_key_line_and_message_for_every_problem()
    {
        using var files = new StackFiles();
        BreakCanaryWeight(files);
        files.Replace("Pulumi.dev.yaml", "infra:mesh: istio", "infra:mesh: consul");

        var run = InfraTool.Run("validate", "dev", "--project", files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        var report = JsonNode.Parse(run.Stdout)!;
        Assert.False((bool)report["valid"]!);
        var errors = report["errors"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal(["infra:mesh", WeightKey], errors.Select(e => (string)e["key"]!).Order(StringComparer.Ordinal));
        Assert.All(errors, e =>
        {
            Assert.Equal("Pulumi.dev.yaml", (string?)e["file"]);
            Assert.True((int)e["line"]! > 0);
            Assert.False(string.IsNullOrWhiteSpace((string?)e["message"]));
        });
    }

    [Theory]
    [MemberData(nameof(Stacks.Everywhere), MemberType = typeof(Stacks))]
    public void Validate_accepts_every_stack_and_writes_nothing(string project, string stack)
    {
        using var files = new StackFiles(Path.Combine(Stacks.RepositoryDirectory, project));

        var text = InfraTool.Run("validate", stack, "--project", files.Directory);
        var json = InfraTool.Run("validate", stack, "--project", files.Directory, "--format", "json");

        Assert.Equal((InfraCommand.Ok, InfraCommand.Ok), (text.ExitCode, json.ExitCode));
        var report = JsonNode.Parse(json.Stdout)!;
        Assert.True((bool)report["valid"]!);
        Assert.Equal(Stacks.Settings(project, stack).Services.Select(s => s.Name), report["summary"]!["services"]!.AsArray().Select(s => (string)s!));
        Assert.False(Directory.Exists(Path.Combine(files.Directory, "rendered")));
    }

    [Fact]
    public void Validate_exits_2_on_a_broken_stack()
    {
        using var files = new StackFiles();
        BreakCanaryWeight(files);

        var run = InfraTool.Run("validate", "dev", "--project", files.Directory);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains(WeightKey, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_stack_exits_2_naming_the_known_stacks()
    {
        var run = InfraTool.Run("render", "staging", "--project", Stacks.ProjectDirectory, "--out", Path.Combine(Path.GetTempPath(), "unused"));

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("known stacks: dev, dev-ambient, dev-linkerd, dev-linkerd-progressive, dev-progressive, prod", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_project_directory_exits_2()
    {
        var run = InfraTool.Run("validate", "dev", "--project", Path.Combine(Path.GetTempPath(), "no-such-project-" + Guid.NewGuid().ToString("N")));

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("does not exist", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_project_path_that_is_a_file_says_it_is_not_a_directory()
    {
        var run = InfraTool.Run("validate", "dev", "--project", Path.Combine(Stacks.ProjectDirectory, "Pulumi.yaml"));

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("is a file, not a directory", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_render_says_that_nothing_was_written()
    {
        using var files = new StackFiles();
        using var output = new TempDirectory();
        BreakCanaryWeight(files);

        var validate = InfraTool.Run("validate", "dev", "--project", files.Directory);
        var render = InfraTool.Run("render", "dev", "--project", files.Directory, "--out", output.Path);

        Assert.StartsWith("Stack 'dev': 1 problem:", validate.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("Stack 'dev': 1 problem; nothing was written:", render.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("render")]
    [InlineData("validate", "dev", "--format", "yaml")]
    [InlineData("frobnicate")]
    public void Bad_usage_exits_2_with_a_pointer_to_help(params string[] args)
    {
        var run = InfraTool.Run(args);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("infra --help", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_exits_0_and_lists_every_command()
    {
        var run = InfraTool.Run("--help");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        var commands = run.Stdout.Split('\n')
            .SkipWhile(l => l.Trim() != "Commands:").Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .ToDictionary(l => l.Trim().Split(' ')[0], l => l.Trim());
        Assert.Equal(["analyze", "bench", "diff", "render", "validate", "verify"], commands.Keys.Order(StringComparer.Ordinal));
        Assert.All(commands.Values, usage => Assert.True(usage.Length > 40, $"'{usage}' should say what the command does"));
    }

    [Theory]
    [InlineData("render", "--out")]
    [InlineData("validate", "--format")]
    [InlineData("diff", "--project")]
    public void Command_help_exits_0_and_describes_its_options(string command, string option)
    {
        var run = InfraTool.Run(command, "--help");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        Assert.Contains(run.Stdout.Split('\n'), l => l.TrimStart().StartsWith('-') && l.Contains(option, StringComparison.Ordinal));
    }
}
