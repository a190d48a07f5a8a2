using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

public class DiffTests
{
    private static JsonNode Diff(string from, string to)
    {
        var run = InfraTool.Run("diff", from, to, "--project", Stacks.ProjectDirectory, "--format", "json");
        Assert.True(run.ExitCode == InfraCommand.Ok, run.Stderr);
        return JsonNode.Parse(run.Stdout)!;
    }

    private static IEnumerable<(string Kind, string? Namespace, string Name)> Entries(JsonNode diff, string list) =>
        diff[list]!.AsArray().Select(e => ((string)e!["kind"]!, (string?)e["namespace"], (string)e["name"]!));

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
            "metadata.labels[\"pod-security.kubernetes.io/enforce\"]", n!["paths"]!.AsArray().Select(p => (string?)p)));
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

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.Contains("- Deployment shop/orders-canary  [06-workloads]", lines);
        Assert.Contains("+ PodDisruptionBudget shop/orders  [06-workloads]", lines);
        Assert.Contains("~ Namespace shop  [04-namespaces]", lines);
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
}
