using System.Security.Cryptography;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace Infra.Kubeconfig;

/// <summary>A kubeconfig that cannot be used: bad input, reported in one line.</summary>
public sealed class KubeconfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Finds and reads the kubeconfig the way kubectl (client-go) does, so <c>infra verify</c> and the Pulumi program's
/// preflight reach the cluster that <c>pulumi up</c> (pulumi-kubernetes uses client-go) and kubectl reach: <c>--kubeconfig FILE</c>, else every file of <c>KUBECONFIG</c> that exists,
/// merged (the first occurrence of a name wins), else <c>~/.kube/config</c>
/// (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files).
/// </summary>
public static class KubeconfigLoader
{
    /// <summary>The client configuration of <paramref name="context"/> (null: the current context).</summary>
    /// <exception cref="KubeconfigException">No kubeconfig, one that cannot be read, an unknown context, a context
    /// whose cluster or user is not defined, credentials that cannot be loaded; the message says which.</exception>
    public static (KubernetesClientConfiguration Configuration, string Context) Load(string? file, string? context)
    {
        var files = Files(file);
        K8SConfiguration merged;
        try
        {
            merged = Merge([.. files.Select(f => KubernetesClientConfiguration.LoadKubeConfig(f))], context);
        }
        catch (Exception e) when (e is KubeConfigException or YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"the kubeconfig {Names(files)} cannot be read: {FirstLine(e)}", e);
        }

        var name = context ?? merged.CurrentContext;
        if (string.IsNullOrEmpty(name))
        {
            throw new KubeconfigException($"the kubeconfig {Names(files)} sets no current context; pass --context NAME or set the stack's infra:kubernetes.context");
        }

        var known = merged.Contexts?.ToList() ?? [];
        if (known.FirstOrDefault(c => c.Name == name) is not { } named)
        {
            throw new KubeconfigException($"the kubeconfig {Names(files)} has no context '{name}' (it has: {(known.Count == 0 ? "none" : string.Join(", ", known.Select(c => c.Name)))})");
        }

        if (merged.Clusters?.Any(c => c.Name == named.ContextDetails?.Cluster) != true)
        {
            throw new KubeconfigException($"context '{name}' names the cluster '{named.ContextDetails?.Cluster}', which the kubeconfig {Names(files)} does not define");
        }

        try
        {
            return (KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, name), name);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or CryptographicException or FormatException)
        {
            throw new KubeconfigException($"context '{name}' of the kubeconfig {Names(files)} cannot be used: {FirstLine(e)}", e);
        }
    }

    /// <summary>A client for the configuration; credentials (client certificates, keys) are read here.</summary>
    /// <exception cref="KubeconfigException">The credentials cannot be loaded.</exception>
    public static Kubernetes Client(KubernetesClientConfiguration configuration, string context)
    {
        try
        {
            return new Kubernetes(configuration);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or CryptographicException or FormatException)
        {
            throw new KubeconfigException($"the credentials of context '{context}' cannot be used: {FirstLine(e)}", e);
        }
    }

    /// <summary>
    /// The first line of an exception's message: KubernetesClient puts a whole inner exception, stack trace included,
    /// into some messages (a credential plugin whose output is not an ExecCredential), which a user never needs.
    /// </summary>
    public static string FirstLine(Exception e) => e.Message.Split('\n', 2)[0].TrimEnd();

    /// <summary>
    /// The files merged as client-go merges them: the first occurrence of each context, cluster and user name wins, and
    /// the first current context. Relative paths (certificates, keys) resolve beside the file that defines the context used.
    /// </summary>
    private static K8SConfiguration Merge(List<K8SConfiguration> configs, string? context)
    {
        var current = configs.Select(c => c.CurrentContext).FirstOrDefault(c => !string.IsNullOrEmpty(c));
        var name = context ?? current;
        return new K8SConfiguration
        {
            CurrentContext = current,
            Contexts = [.. configs.SelectMany(c => c.Contexts ?? []).DistinctBy(c => c.Name)],
            Clusters = [.. configs.SelectMany(c => c.Clusters ?? []).DistinctBy(c => c.Name)],
            Users = [.. configs.SelectMany(c => c.Users ?? []).DistinctBy(u => u.Name)],
            FileName = (configs.FirstOrDefault(c => c.Contexts?.Any(x => x.Name == name) == true) ?? configs[0]).FileName,
        };
    }

    /// <summary>
    /// The kubeconfig paths considered, for messages: <paramref name="file"/>, else every entry of <c>KUBECONFIG</c>,
    /// else <c>~/.kube/config</c>.
    /// </summary>
    public static IReadOnlyList<string> Candidates(string? file) =>
        file is not null ? [file]
        : Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } list ? list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        : [KubernetesClientConfiguration.KubeConfigDefaultLocation];

    private static List<FileInfo> Files(string? file)
    {
        var candidates = Candidates(file);
        // client-go skips the KUBECONFIG entries that do not exist.
        var existing = candidates.Where(File.Exists).Select(p => new FileInfo(p)).ToList();
        if (existing.Count > 0)
        {
            return existing;
        }

        throw new KubeconfigException(
            file is not null ? $"no kubeconfig at {file}"
            : Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } ? $"no kubeconfig: none of the KUBECONFIG files exists ({string.Join(", ", candidates)})"
            : $"no kubeconfig at {candidates[0]} and KUBECONFIG is not set");
    }

    private static string Names(IEnumerable<FileInfo> files) => string.Join(", ", files.Select(f => f.FullName));
}
