using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Mesh.Analysis;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

/// <summary><c>infra analyze</c>: every rule plus the security audit, as text, JSON and SARIF 2.1.0, with its exit codes.</summary>
public class AnalyzeTests
{
    [Fact]
    public void Prod_is_clean_and_only_notes_what_is_public()
    {
        var run = InfraTool.Run("analyze", "prod", "--project", Stacks.ProjectDirectory, "--format", "json");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        var findings = Findings(run);
        Assert.All(findings, f => Assert.Equal("note", (string?)f["severity"]));
        Assert.Contains(findings, f => (string?)f["code"] == RuleCatalog.Exposed.Code && (string?)f["key"] == "infra:services[api-gateway].public");
    }

    [Theory]
    [InlineData("dev", new[] { "INFRA144", "INFRA202", "INFRA204", "INFRA205" })]
    [InlineData("dev-linkerd", new[] { "INFRA199", "INFRA202", "INFRA203", "INFRA205" })]
    public void Dev_stacks_exit_0_and_list_their_relaxations_as_warnings(string stack, string[] codes)
    {
        var run = InfraTool.Run("analyze", stack, "--project", Stacks.ProjectDirectory, "--format", "json");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        var warnings = Findings(run).Where(f => (string?)f["severity"] == "warning").ToList();
        Assert.All(codes, code => Assert.Contains(warnings, w => (string?)w["code"] == code && w["line"] is not null));
        Assert.DoesNotContain(Findings(run), f => (string?)f["severity"] == "error");
    }

    [Fact]
    public void Error_findings_exit_1_and_settings_errors_exit_2()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "tag: 2.8.0-rc.1", "tag: 2.7.0");
        var findings = InfraTool.Run("analyze", "dev", "--project", files.Directory);
        Assert.Equal(Verbs.AnalyzeCommand.ErrorFindings, findings.ExitCode);
        Assert.Contains(findings.Stdout.Split('\n'), l => l.Contains("error INFRA142: infra:serviceOverrides.orders.canary.tag", StringComparison.Ordinal));

        files.Replace("Pulumi.dev.yaml", "weight: 10", "weight: 150");
        Assert.Equal(InfraCommand.BadInput, InfraTool.Run("analyze", "dev", "--project", files.Directory).ExitCode);
        Assert.Equal(InfraCommand.BadInput, InfraTool.Run("analyze", "nosuchstack", "--project", files.Directory).ExitCode);
    }

    [Fact]
    public void A_stack_promotes_named_warnings_to_errors()
    {
        using var files = new StackFiles();
        files.Write("Pulumi.dev.yaml", files.Read("Pulumi.dev.yaml").TrimEnd() + "\n  infra:analysis:\n    errors: [INFRA144]\n");

        var run = InfraTool.Run("validate", "dev", "--project", files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains(JsonNode.Parse(run.Stdout)!["errors"]!.AsArray(), e => ((string)e!["message"]!).StartsWith("INFRA144:", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_code_to_promote_is_bad_input()
    {
        using var files = new StackFiles();
        files.Write("Pulumi.dev.yaml", files.Read("Pulumi.dev.yaml").TrimEnd() + "\n  infra:analysis:\n    errors: [INFRA999]\n");

        var run = InfraTool.Run("validate", "dev", "--project", files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains(JsonNode.Parse(run.Stdout)!["errors"]!.AsArray(), e => (string?)e!["key"] == "infra:analysis.errors[0]");
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    [InlineData("prod")]
    public async Task Sarif_output_validates_against_the_sarif_2_1_0_schema(string stack)
    {
        var run = InfraTool.Run("analyze", stack, "--project", Stacks.ProjectDirectory, "--format", "sarif");
        var schema = await NJsonSchema.JsonSchema.FromFileAsync(Path.Combine(AppContext.BaseDirectory, "Schemas", "sarif-2.1.0-rtm.5.json"));

        var errors = schema.Validate(run.Stdout);

        Assert.Empty(errors.Select(e => e.ToString()));
        var log = JsonNode.Parse(run.Stdout)!;
        Assert.Equal("2.1.0", (string?)log["version"]);
        var results = log["runs"]![0]!["results"]!.AsArray();
        Assert.NotEmpty(results);
        var rules = log["runs"]![0]!["tool"]!["driver"]!["rules"]!.AsArray();
        Assert.All(results, r => Assert.Equal((string?)r!["ruleId"], (string?)rules[(int)r["ruleIndex"]!]!["id"]));
        Assert.All(results, r => Assert.True((int)r!["locations"]![0]!["physicalLocation"]!["region"]!["startLine"]! > 0));
    }

    [Fact]
    public async Task A_broken_sarif_log_fails_the_schema_so_the_check_can_fail()
    {
        var schema = await NJsonSchema.JsonSchema.FromFileAsync(Path.Combine(AppContext.BaseDirectory, "Schemas", "sarif-2.1.0-rtm.5.json"));
        var log = JsonNode.Parse(InfraTool.Run("analyze", "dev", "--project", Stacks.ProjectDirectory, "--format", "sarif").Stdout)!;
        log["runs"]![0]!["results"]![0]!["level"] = "fatal";

        Assert.NotEmpty(schema.Validate(log.ToJsonString()));
    }

    private static List<JsonObject> Findings(CliRun run) =>
        [.. JsonNode.Parse(run.Stdout)!["findings"]!.AsArray().Select(f => f!.AsObject())];
}
