using Infra.Testing.Support;

namespace Infra.Tests;

/// <summary>A preview must not succeed against a cluster it cannot reach.</summary>
[Collection(PulumiRuns.Name)]
public sealed class ClusterPreflightTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("infra-kubeconfig-").FullName;
    private readonly string? _previous = Environment.GetEnvironmentVariable("KUBECONFIG");

    [Fact]
    public async Task A_preview_fails_naming_context_kubeconfig_and_reason_when_the_api_server_does_not_answer()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        var kubeconfig = Kubeconfig("kind-infra-dev", "https://127.0.0.1:1");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PulumiHarness.RunAsync("dev", preview: true));

        Assert.Contains("Stack 'dev': the cluster is unreachable", error.Message, StringComparison.Ordinal);
        Assert.Contains("context 'kind-infra-dev' (infra:kubernetes.context)", error.Message, StringComparison.Ordinal);
        Assert.Contains(kubeconfig, error.Message, StringComparison.Ordinal);
        Assert.Contains("https://127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_preview_fails_when_the_kubeconfig_lacks_the_stacks_context()
    {
        var kubeconfig = Kubeconfig("some-other-cluster", "https://127.0.0.1:1");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PulumiHarness.RunAsync("prod", preview: true));

        Assert.Contains($"the kubeconfig {kubeconfig} has no context 'prod-eu-west-1' (it has: some-other-cluster)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KUBECONFIG_is_merged_as_the_provider_merges_it()
    {
        // client-go (pulumi-kubernetes) skips a missing entry and merges the files: here the stack's context and cluster
        // sit in one file and its user in another, so the probe gets as far as the API server.
        var full = KubeconfigFile.Write(Path.Combine(_directory, "full"), "kind-infra-dev", ("kind-infra-dev", "https://127.0.0.1:1"));
        var users = Path.Combine(_directory, "users");
        File.WriteAllText(users, File.ReadAllText(full));
        File.WriteAllText(full, File.ReadAllText(full).Replace("- name: kind-infra-dev\n    user:", "- name: someone-else\n    user:", StringComparison.Ordinal));
        Assert.DoesNotContain("- name: kind-infra-dev\n    user:", File.ReadAllText(full), StringComparison.Ordinal);
        Environment.SetEnvironmentVariable("KUBECONFIG", string.Join(Path.PathSeparator, Path.Combine(_directory, "absent"), full, users));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PulumiHarness.RunAsync("dev", preview: true));

        Assert.Contains("Why: https://127.0.0.1:1: Connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_credential_plugin_is_one_line_without_a_stack_trace()
    {
        var kubeconfig = Kubeconfig("kind-infra-dev", "https://127.0.0.1:1");
        File.WriteAllText(kubeconfig, File.ReadAllText(kubeconfig).Replace(
            "token: not-a-real-token", "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/false, interactiveMode: Never}", StringComparison.Ordinal));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PulumiHarness.RunAsync("dev", preview: true));

        var why = error.Message.Split('\n').Single(l => l.TrimStart().StartsWith("Why:", StringComparison.Ordinal));
        Assert.Contains("context 'kind-infra-dev'", why, StringComparison.Ordinal);
        Assert.Contains("exec", why, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_under_mocks_does_not_probe_the_cluster()
    {
        Kubeconfig("kind-infra-dev", "https://127.0.0.1:1");

        var run = await PulumiHarness.RunAsync("dev", preview: false);

        Assert.NotEmpty(run.Registrations);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("KUBECONFIG", _previous);
        Directory.Delete(_directory, recursive: true);
    }

    private string Kubeconfig(string context, string server)
    {
        var path = KubeconfigFile.Write(Path.Combine(_directory, "config"), context, (context, server));
        Environment.SetEnvironmentVariable("KUBECONFIG", path);
        return path;
    }
}
