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
        var files = KubeconfigFiles();
        var where = $"context '{context ?? "(the kubeconfig's current context)"}'" +
            (context is null ? "" : " (infra:kubernetes.context)") +
            $" in {string.Join(", ", files.Select(f => f.FullName))}" +
            (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } ? " (KUBECONFIG)" : "");
        string? reason;
        try
        {
            reason = await Probe(files, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KubeConfigException or FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            reason = $"the kubeconfig cannot be used: {e.Message}";
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

    private static async Task<string?> Probe(FileInfo[] files, string? context)
    {
        if (files.FirstOrDefault(f => !f.Exists) is { } missing)
        {
            return $"{missing.FullName} does not exist";
        }

        // client-go merges the files; a context, its cluster and its user normally sit in one of them.
        var kubeconfigs = files.Select(f => KubernetesClientConfiguration.LoadKubeConfig(f)).ToList();
        var kubeconfig = kubeconfigs.FirstOrDefault(k => context is null
            ? !string.IsNullOrEmpty(k.CurrentContext)
            : k.Contexts?.Any(c => c.Name == context) == true);
        if (kubeconfig is null)
        {
            var known = kubeconfigs.SelectMany(k => k.Contexts?.Select(c => c.Name) ?? []).ToList();
            return context is null
                ? "the kubeconfig sets no current context and infra:kubernetes.context is not set"
                : $"the kubeconfig has no context '{context}' (it has: {(known.Count == 0 ? "none" : string.Join(", ", known))})";
        }

        var configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, context);
        using var client = new Kubernetes(configuration);
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
    }

    /// <summary>The kubeconfig files client-go would merge: every path in <c>KUBECONFIG</c>, else <c>~/.kube/config</c>.</summary>
    private static FileInfo[] KubeconfigFiles() =>
        Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } paths
            ? [.. paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(p => new FileInfo(p))]
            : [new FileInfo(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config"))];
}
