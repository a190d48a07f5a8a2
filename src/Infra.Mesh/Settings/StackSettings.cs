using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    /// <summary>Application namespaces, in catalog order (the first service in each decides its place).</summary>
    public ImmutableArray<string> Namespaces => ServiceIndex.Of(Services).Namespaces;

    /// <summary>The service of that name, found in constant time.</summary>
    /// <exception cref="KeyNotFoundException">No service has that name (the loader rejects calls to undeclared services).</exception>
    public ServiceSettings Service(string name) => ServiceIndex.Of(Services).ByName[name];

    /// <summary>How new versions reach traffic (<c>infra:delivery</c>); an init property so the positional record stays source-compatible.</summary>
    public DeliveryMode Delivery { get; init; } = DeliveryMode.Static;

    /// <summary>Whether Flagger rolls out this service: the stack is progressive and the service did not opt out.</summary>
    public bool IsProgressive(ServiceSettings service) => Delivery == DeliveryMode.Progressive && service.Delivery.Enabled;

    /// <summary>The secret config keys the services read (without <c>infra:</c>), each once, in catalog order.</summary>
    public ImmutableArray<string> SecretConfigKeys =>
        [.. Services.SelectMany(s => s.Secrets).Select(s => s.ConfigKey).Distinct(StringComparer.Ordinal)];

    /// <summary>Services by name and the distinct namespaces, built once per catalog and kept as long as the catalog lives.</summary>
    /// <remarks>
    /// Kept beside the record, keyed by the catalog array, rather than in a field: a field would take part in record
    /// equality and be copied by <c>with</c> expressions that replace <see cref="Services"/>, going stale.
    /// </remarks>
    private sealed class ServiceIndex
    {
        private static readonly ConditionalWeakTable<ServiceSettings[], ServiceIndex> Built = [];

        private ServiceIndex(ImmutableArray<ServiceSettings> services)
        {
            // The loader rejects duplicate names; the first wins here, as in the catalog.
            ByName = services.DistinctBy(s => s.Name, StringComparer.Ordinal).ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
            Namespaces = [.. services.Select(s => s.Namespace).Distinct(StringComparer.Ordinal)];
        }

        public FrozenDictionary<string, ServiceSettings> ByName { get; }

        public ImmutableArray<string> Namespaces { get; }

        public static ServiceIndex Of(ImmutableArray<ServiceSettings> services) =>
            Built.GetValue(ImmutableCollectionsMarshal.AsArray(services) ?? [], _ => new ServiceIndex(services));
    }
}

/// <summary>The explicit Kubernetes provider: which kubeconfig context to deploy to.</summary>
public sealed record KubernetesSettings(string? Context);
