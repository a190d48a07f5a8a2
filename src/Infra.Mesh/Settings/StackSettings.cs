using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

public enum MeshKind
{
    Istio,
    Linkerd,
}

/// <summary>Everything one stack (dev, prod, ...) asks for, validated.</summary>
public sealed record StackSettings(
    string Stack,
    string StackFile,
    string Environment,
    MeshKind Mesh,
    KubernetesSettings Kubernetes,
    ImmutableArray<ServiceSettings> Services,
    IngressSettings Ingress,
    SecuritySettings Security,
    ObservabilitySettings Observability,
    VerificationSettings Verification,
    IstioSettings Istio,
    LinkerdSettings Linkerd)
{
    public bool IsProduction => Environment == "prod";

    /// <summary>Application namespaces, in catalog order.</summary>
    public ImmutableArray<string> Namespaces => [.. Services.Select(s => s.Namespace).Distinct(StringComparer.Ordinal)];

    public ServiceSettings Service(string name) => Services.Single(s => s.Name == name);

    /// <summary>The secret config keys the services read (without <c>infra:</c>), each once, in catalog order.</summary>
    public ImmutableArray<string> SecretConfigKeys =>
        [.. Services.SelectMany(s => s.Secrets).Select(s => s.ConfigKey).Distinct(StringComparer.Ordinal)];
}

/// <summary>The explicit Kubernetes provider: which kubeconfig context to deploy to.</summary>
public sealed record KubernetesSettings(string? Context);
