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
        Kubeconfig("some-other-cluster", "https://127.0.0.1:1");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PulumiHarness.RunAsync("prod", preview: true));

        Assert.Contains("the kubeconfig has no context 'prod-eu-west-1' (it has: some-other-cluster)", error.Message, StringComparison.Ordinal);
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
