using Infra.Kubeconfig;
using k8s;
using k8s.Exceptions;
using Pulumi;

namespace Infra;

/// <summary>
/// Makes sure a preview talks to the stack's cluster. When pulumi-kubernetes cannot reach it, the provider marks the
/// cluster unreachable and previews every resource without it (pulumi-kubernetes v4.32.0 provider/pkg/provider/provider.go,
/// <c>clusterUnreachable</c>), so the preview succeeds without having compared anything with the cluster. This check
/// runs in the program, not in a workflow step, so it guards workstation previews as well as CI and reads the same
/// kubeconfig and context as the provider: the <c>KUBECONFIG</c> files (the provider's default kubeconfig,
/// sdk/dotnet/Provider.cs) or <c>~/.kube/config</c>, and <c>infra:kubernetes.context</c> or the current context.
/// </summary>
public static class ClusterPreflight
{
    /// <summary>How long the API server has to answer <c>GET /version</c>.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Fails the run with where and why when the cluster does not answer; returns quietly when it does.</summary>
    /// <exception cref="RunException">The kubeconfig, the context or the API server is not usable; the message says which.</exception>
    public static async Task CheckAsync(string stack, string? context)
    {
        var where = $"context '{context ?? "(the kubeconfig's current context)"}'" +
            (context is null ? "" : " (infra:kubernetes.context)") +
            $" in {string.Join(", ", KubeconfigLoader.Candidates(null))}" +
            (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } ? " (KUBECONFIG)" : "");
        string? reason;
        try
        {
            reason = await Probe(context).ConfigureAwait(false);
        }
        catch (KubeconfigException e)
        {
            reason = e.Message;
        }

        if (reason is not null)
        {
            throw new RunException(
                $"Stack '{stack}': the cluster is unreachable, so a preview would succeed without comparing anything with it." +
                $"{Environment.NewLine}  Where: {where}" +
                $"{Environment.NewLine}  Why: {reason}" +
                $"{Environment.NewLine}  Point KUBECONFIG at a kubeconfig with that context (README: Kubeconfig per stack), " +
                $"or review offline with: dotnet run --project src/Infra.Cli -- render {stack}");
        }
    }

    /// <summary>The reason the cluster cannot be used, or null when it answers.</summary>
    /// <exception cref="KubeconfigException">The kubeconfig or its credentials cannot be used.</exception>
    private static async Task<string?> Probe(string? context)
    {
        // The files merged and the context resolved as client-go (and so the provider) does, as `infra verify` does.
        var (configuration, name) = KubeconfigLoader.Load(null, context);
        using var client = KubeconfigLoader.Client(configuration, name);
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            var version = await client.Version.GetCodeAsync(timeout.Token).ConfigureAwait(false);
            Log.Info($"Cluster reachable at {configuration.Host}: Kubernetes {version.GitVersion}");
            return null;
        }
        catch (OperationCanceledException)
        {
            return $"{configuration.Host} did not answer within {Timeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException e)
        {
            return $"{configuration.Host}: {e.Message}";
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            return $"{configuration.Host} refused the request: HTTP {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}";
        }
        catch (Exception e) when (e is KubeConfigException or KubernetesClientException)
        {
            // Credentials are fetched per request (a credential plugin, a token file).
            return $"{configuration.Host}: cannot authenticate: {KubeconfigLoader.FirstLine(e)}";
        }
    }
}
