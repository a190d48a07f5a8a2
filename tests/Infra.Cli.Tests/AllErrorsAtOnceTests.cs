using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

/// <summary>
/// Settings errors and semantic-rule findings come in one run: the rules check what parsed (the services without
/// errors, the keys without errors), a check that reads a bad value does not run, and the output says which checks
/// were skipped until the errors are fixed. Exit 2, nothing written.
/// </summary>
public sealed class AllErrorsAtOnceTests : IDisposable
{
    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("validate")]
    [InlineData("render")]
    [InlineData("analyze")]
    public void A_typo_in_one_service_and_a_reserved_port_in_another_are_reported_together(string verb)
    {
        // Tester's repro a, other names and values: an unknown key in one service, Istio's 15021 in another.
        AddServices("""
            - name: ledger
              namespace: finance
              image: ghcr.io/acme/ledger:0.9.0
              replcas: 2
              ports: [{name: web, port: 8000, protocol: http}]
            - name: billing
              namespace: finance
              image: ghcr.io/acme/billing:1.2.0
              ports: [{name: web, port: 8000, protocol: http}, {name: admin, port: 15021, protocol: http}]
            """);
        using var output = new TempDirectory();
        string[] extra = verb == "render" ? ["--out", output.Path] : [];

        var run = InfraTool.Run([verb, "dev", "--project", _files.Directory, "--format", "json", .. extra]);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        var errors = Errors(run);
        AssertError(errors, "Pulumi.yaml", "infra:services[ledger].replcas", "unknown key 'replcas'");
        AssertError(errors, "Pulumi.yaml", "infra:services[billing].ports[admin].port", "INFRA120: 15021");
        Assert.False(Directory.Exists(output.Path));
    }

    [Fact]
    public void An_unknown_rule_code_a_bad_ingress_value_and_a_rule_finding_are_reported_together()
    {
        // Tester's repro b, on Linkerd: infra:analysis names no rule, infra:ingress is out of range, and a service uses
        // a port Linkerd's proxy reserves (4191, its admin port).
        _files.Write("Pulumi.dev-linkerd.yaml", _files.Read("Pulumi.dev-linkerd.yaml").TrimEnd()
            + "\n  infra:analysis:\n    errors: [INFRA404]\n  infra:ingress:\n    replicas: 99\n");
        AddServices("""
            - name: billing
              namespace: finance
              image: ghcr.io/acme/billing:1.2.0
              ports: [{name: web, port: 4191, protocol: http}]
            """);

        var run = InfraTool.Run("validate", "dev-linkerd", "--project", _files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        var errors = Errors(run);
        AssertError(errors, "Pulumi.dev-linkerd.yaml", "infra:analysis.errors[0]", "'INFRA404' is not a rule code");
        AssertError(errors, "Pulumi.dev-linkerd.yaml", "infra:ingress.replicas", "99");
        AssertError(errors, "Pulumi.yaml", "infra:services[billing].ports[web].port", "INFRA120: 4191");
        // The namespace rule reads infra:ingress (its namespace is owned), so it waits, and says so.
        var skipped = Skipped(run);
        Assert.Contains(skipped, s => s.Contains("INFRA130", StringComparison.Ordinal) && s.Contains("reads infra:ingress", StringComparison.Ordinal));
        Assert.Contains(skipped, s => s.Contains("INFRA110", StringComparison.Ordinal) && s.Contains("plan", StringComparison.Ordinal));
    }

    [Fact]
    public void A_service_with_a_settings_error_is_left_out_of_the_rules_and_the_output_says_so()
    {
        AddServices("""
            - name: ledger
              namespace: finance
              image: ghcr.io/acme/ledger:0.9.0
              replicas: many
              ports: [{name: web, port: 15090, protocol: http}]
            """);

        var run = InfraTool.Run("validate", "dev", "--project", _files.Directory);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        var lines = run.Stderr.Split('\n');
        Assert.Contains(lines, l => l.Contains("Pulumi.yaml:", StringComparison.Ordinal) && l.Contains("infra:services[ledger].replicas: 'many'", StringComparison.Ordinal));
        // Its port would be INFRA120, but its settings did not parse: not guessed at, named as not checked.
        Assert.DoesNotContain("INFRA120", run.Stderr, StringComparison.Ordinal);
        var skippedAt = Array.FindIndex(lines, l => l.StartsWith("Further checks skipped until the problems above are fixed:", StringComparison.Ordinal));
        Assert.True(skippedAt > 0, run.Stderr);
        Assert.Contains(lines.Skip(skippedAt), l => l.Contains("services ledger", StringComparison.Ordinal));
    }

    [Fact]
    public void Calls_to_a_service_left_out_are_not_judged_but_the_callers_other_calls_are()
    {
        // kiosk has no proxy and calls two meshed services: orders (parsed: INFRA101) and ledger (settings error).
        AddServices("""
            - name: ledger
              namespace: finance
              image: ghcr.io/acme/ledger:0.9.0
              ports: [{name: web, port: 8000, protocol: htp}]
            - name: kiosk
              namespace: finance
              image: ghcr.io/acme/kiosk:3.0.1
              inject: false
              ports: [{name: web, port: 8000, protocol: http}]
              calls: [ledger, orders]
            """);

        var run = InfraTool.Run("validate", "dev", "--project", _files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        var errors = Errors(run);
        AssertError(errors, "Pulumi.yaml", "infra:services[ledger].ports[web].protocol", "htp");
        AssertError(errors, "Pulumi.yaml", "infra:services[kiosk].calls[1]", "INFRA101:");
        Assert.DoesNotContain(errors, e => (string?)e["key"] == "infra:services[kiosk].calls[0]");
    }

    [Fact]
    public void A_bad_mesh_stops_every_rule_and_says_so()
    {
        _files.Replace("Pulumi.dev.yaml", "infra:mesh: istio", "infra:mesh: kuma");
        AddServices("""
            - name: billing
              namespace: finance
              image: ghcr.io/acme/billing:1.2.0
              ports: [{name: web, port: 15021, protocol: http}]
            """);

        var run = InfraTool.Run("validate", "dev", "--project", _files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        var errors = Errors(run);
        AssertError(errors, "Pulumi.dev.yaml", "infra:mesh", "'kuma'");
        Assert.DoesNotContain(errors, e => ((string)e["message"]!).StartsWith("INFRA", StringComparison.Ordinal));
        Assert.Contains(Skipped(run), s => s.Contains("INFRA120", StringComparison.Ordinal) && s.Contains("depends on infra:mesh", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_that_does_not_read_says_that_nothing_else_was_checked()
    {
        // A key set twice in one mapping (INFRA170): Pulumi refuses the file, so no setting can be read from it.
        _files.Replace("Pulumi.dev.yaml", "    mtls: PERMISSIVE\n", "    mtls: PERMISSIVE\n    mtls: STRICT\n");

        var run = InfraTool.Run("validate", "dev", "--project", _files.Directory, "--format", "json");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains(Errors(run), e => (string?)e["file"] == "Pulumi.dev.yaml" && ((string)e["message"]!).StartsWith("INFRA170:", StringComparison.Ordinal) && e["line"] is not null);
        Assert.Contains(Skipped(run), s => s.Contains("every rule", StringComparison.Ordinal));
    }

    private void AddServices(string yaml)
    {
        // The catalog is the last key of Pulumi.yaml; its items sit six spaces deep.
        var items = string.Join("\n", yaml.TrimEnd().Split('\n').Select(l => "      " + l));
        _files.Write("Pulumi.yaml", _files.Read("Pulumi.yaml").TrimEnd() + "\n\n" + items + "\n");
    }

    private static List<JsonObject> Errors(CliRun run) =>
        [.. JsonNode.Parse(run.Stdout)!["errors"]!.AsArray().Select(e => e!.AsObject())];

    private static List<string> Skipped(CliRun run) =>
        [.. (JsonNode.Parse(run.Stdout)!["skipped"]?.AsArray() ?? []).Select(s => (string)s!)];

    private static void AssertError(List<JsonObject> errors, string file, string key, string text) =>
        Assert.Contains(errors, e => (string?)e["file"] == file && (string?)e["key"] == key && e["line"] is not null
            && ((string)e["message"]!).Contains(text, StringComparison.Ordinal));
}
