using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

public class DiffTests
{
    private static JsonNode Diff(string from, string to)
    {
        var run = InfraTool.Run("diff", from, to, "--project", Stacks.ProjectDirectory, "--format", "json");
        // As diff(1): 0 when equal, 1 when different.
        Assert.True(run.ExitCode == (from == to ? InfraCommand.Ok : InfraCommand.Failed), run.Stderr);
        return JsonNode.Parse(run.Stdout)!;
    }

    private static IEnumerable<(string Kind, string? Namespace, string Name)> Entries(JsonNode diff, string list) =>
        diff[list]!.AsArray().Select(e => ((string)e!["kind"]!, (string?)e["namespace"], Stem(e)));

    /// <summary>A fingerprinted name (verification) without its fingerprint, which differs between the sides.</summary>
    private static string Stem(JsonNode entry) =>
        (string?)entry["fingerprint"] is { } fingerprint ? ((string)entry["name"]!)[..^(fingerprint.Length + 1)] : (string)entry["name"]!;

    [Fact]
    public void A_stack_compared_with_itself_has_no_differences()
    {
        var diff = Diff("prod", "prod");

        Assert.Empty(diff["added"]!.AsArray());
        Assert.Empty(diff["removed"]!.AsArray());
        Assert.Empty(diff["changed"]!.AsArray());
        Assert.Equal(Stacks.Objects(Stacks.Plan("prod")).Count + Stacks.Plan("prod").Releases.Count(), (int)diff["unchanged"]!);
    }

    [Fact]
    public void Dev_to_prod_lists_what_prod_gets_that_dev_does_not()
    {
        var diff = Diff("dev", "prod");
        var services = Stacks.Settings("prod").Services;

        var added = Entries(diff, "added").ToList();
        foreach (var service in services)
        {
            Assert.Contains(("PodDisruptionBudget", service.Namespace, service.Name), added);
            Assert.Contains(("HorizontalPodAutoscaler", service.Namespace, service.Name), added);
        }

        Assert.Contains(("Deployment", "shop", "orders-canary"), Entries(diff, "removed"));
        var namespaces = diff["changed"]!.AsArray().Where(c => (string?)c!["kind"] == "Namespace").ToList();
        Assert.Equal(Stacks.Settings("prod").Namespaces.Order(StringComparer.Ordinal), namespaces.Select(n => (string)n!["name"]!).Order(StringComparer.Ordinal));
        Assert.All(namespaces, n => Assert.Contains(
            "metadata.labels[\"pod-security.kubernetes.io/enforce\"]", n!["changes"]!.AsArray().Select(p => (string?)p!["path"])));
    }

    [Fact]
    public void Reversing_the_stacks_swaps_added_and_removed()
    {
        var forward = Diff("dev", "prod");
        var backward = Diff("prod", "dev");

        Assert.Equal(Entries(forward, "added"), Entries(backward, "removed"));
        Assert.Equal(Entries(forward, "removed"), Entries(backward, "added"));
        Assert.Equal(Entries(forward, "changed"), Entries(backward, "changed"));
    }

    [Fact]
    public void The_text_listing_marks_each_entry_with_its_change()
    {
        var run = InfraTool.Run("diff", "dev", "prod", "--project", Stacks.ProjectDirectory);

        Assert.Equal(InfraCommand.Failed, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.Contains("- Deployment shop/orders-canary  [06-workloads]", lines);
        Assert.Contains("+ PodDisruptionBudget shop/orders  [06-workloads]", lines);
        Assert.Contains("~ Namespace shop  [04-namespaces]  Other", lines);
    }

    [Fact]
    public void Diff_with_a_broken_stack_exits_2_and_reports_its_errors()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "mtls: STRICT", "mtls: PERMISSIVE");

        var run = InfraTool.Run("diff", "dev", "prod", "--project", files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        var error = Assert.Single(JsonNode.Parse(run.Stdout)!["errors"]!.AsArray());
        Assert.Equal(("Pulumi.prod.yaml", "infra:security.mtls"), ((string)error!["file"]!, (string)error["key"]!));
    }

    [Fact]
    public void Against_an_earlier_render_equal_is_exit_0_and_a_weight_change_comes_first_with_named_paths()
    {
        using var render = new TempDirectory();
        using var files = new StackFiles();
        Assert.Equal(InfraCommand.Ok, InfraTool.Run("render", "dev", "--project", files.Directory, "--out", render.Path).ExitCode);

        var same = InfraTool.Run("diff", "dev", "--render", render.Path, "--project", files.Directory);
        Assert.True(same.ExitCode == InfraCommand.Ok, same.Stdout + same.Stderr);

        files.Replace("Pulumi.dev.yaml", "weight: 10", "weight: 30");
        files.Replace("Pulumi.dev.yaml", "mtls: PERMISSIVE", "mtls: STRICT");
        var run = InfraTool.Run("diff", "dev", "--render", render.Path, "--project", files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.Failed, run.ExitCode);
        var changed = JsonNode.Parse(run.Stdout)!["changed"]!.AsArray();
        Assert.Equal("Weights", (string?)changed[0]!["category"]);
        var paths = changed[0]!["changes"]!.AsArray().Select(c => (string?)c!["path"]).ToList();
        Assert.Contains(paths, p => p!.Contains("[name=", StringComparison.Ordinal) && p.EndsWith(".weight", StringComparison.Ordinal));
        Assert.Contains(changed, c => (string?)c!["category"] == "Policies" && (string?)c["kind"] == "PeerAuthentication");
        var categories = changed.Select(c => (string)c!["category"]!).ToList();
        Assert.Equal(categories.OrderBy(Enum.Parse<ChangeCategory>), categories);
        // The verification Jobs' new fingerprint is one summary, not a change per Job.
        var fingerprints = JsonNode.Parse(run.Stdout)!["fingerprints"]!.AsArray();
        Assert.NotEmpty(fingerprints);
        Assert.DoesNotContain(changed, c => (string?)c!["kind"] == "Job");
    }

    [Fact]
    public void Markdown_puts_the_changes_in_tables_under_their_category()
    {
        using var render = new TempDirectory();
        using var files = new StackFiles();
        InfraTool.Run("render", "dev", "--project", files.Directory, "--out", render.Path);
        files.Replace("Pulumi.dev.yaml", "weight: 10", "weight: 30");

        var run = InfraTool.Run("diff", "dev", "--render", render.Path, "--project", files.Directory, "--format", "markdown");

        Assert.Equal(InfraCommand.Failed, run.ExitCode);
        Assert.Contains("#### Traffic weights", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\| VirtualService shop/orders \| `spec\.http\[name=[a-z-]+\]\.route\[1\]\.weight` \| 10 \| 30 \|", run.Stdout);
        Assert.Contains("fingerprinted objects renamed", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Against_a_git_ref_the_stack_files_there_are_compared_with_the_working_tree()
    {
        using var files = new StackFiles();
        Git(files.Directory, "init", "-q");
        Git(files.Directory, "add", ".");
        Git(files.Directory, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "base");
        files.Replace("Pulumi.dev.yaml", "weight: 10", "weight: 30");

        var run = InfraTool.Run("diff", "dev", "--git-ref", "HEAD", "--project", files.Directory);

        Assert.Equal(InfraCommand.Failed, run.ExitCode);
        Assert.Contains("dev at HEAD -> dev now", run.Stdout, StringComparison.Ordinal);
        Assert.Contains(".weight: 10 -> 30", run.Stdout, StringComparison.Ordinal);
        var unknown = InfraTool.Run("diff", "dev", "--git-ref", "no-such-ref", "--project", files.Directory);
        Assert.Equal(InfraCommand.BadInput, unknown.ExitCode);
        Assert.Contains("no-such-ref", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_one_thing_to_compare_with_is_required()
    {
        Assert.Equal(InfraCommand.BadInput, InfraTool.Run("diff", "dev", "--project", Stacks.ProjectDirectory).ExitCode);
        Assert.Equal(InfraCommand.BadInput, InfraTool.Run("diff", "dev", "prod", "--git-ref", "HEAD", "--project", Stacks.ProjectDirectory).ExitCode);
        using var empty = new TempDirectory();
        var notARender = InfraTool.Run("diff", "dev", "--render", empty.Path, "--project", Stacks.ProjectDirectory);
        Assert.Equal(InfraCommand.BadInput, notARender.ExitCode);
        Assert.Contains("plan.md", notARender.Stderr, StringComparison.Ordinal);
    }

    private static void Git(string directory, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var git = System.Diagnostics.Process.Start(start)!;
        git.WaitForExit();
        Assert.Equal(0, git.ExitCode);
    }
}
