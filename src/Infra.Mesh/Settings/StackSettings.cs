using System.Collections.Immutable;
using Infra.Mesh.Istio;
using Infra.Mesh.Linkerd;
using YamlDotNet.RepresentationModel;

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
}

/// <summary>The explicit Kubernetes provider: which kubeconfig context to deploy to.</summary>
public sealed record KubernetesSettings(string? Context);

/// <summary>A service of the catalog after the stack's overrides.</summary>
public sealed record ServiceSettings(
    string Name,
    string Namespace,
    ImageReference Image,
    int Replicas,
    ImmutableArray<ServicePort> Ports,
    HealthSettings Health,
    MetricsSettings Metrics,
    NreplSettings Nrepl,
    ResourceSettings Resources,
    JvmSettings Jvm,
    ServiceConfig Config,
    ImmutableArray<SecretEnvironmentVariable> Secrets,
    ImmutableArray<CallSettings> Calls,
    PublicSettings? Public,
    CanarySettings? Canary,
    TrafficSettings Traffic,
    AutoscalingSettings Autoscaling,
    ImmutableArray<ExternalHost> ExternalHosts,
    bool Injected,
    bool AutomountServiceAccountToken)
{
    public string ServiceAccount => Name;

    public ServicePort PrimaryPort => Ports[0];

    /// <summary>The port HTTP traffic (from the ingress, or a verification check) reaches it on: its first HTTP port, else its primary port.</summary>
    public ServicePort HttpPort => Ports.FirstOrDefault(p => p.IsHttp) ?? PrimaryPort;

    public ServicePort Port(string name) => Ports.Single(p => p.Name == name);

    /// <summary>How pods stop; an init property so the positional record stays source-compatible.</summary>
    public ShutdownSettings Shutdown { get; init; } = ShutdownSettings.Default;
}

public enum PortProtocol
{
    Http,
    Http2,
    Grpc,
    Tcp,
}

public sealed record ServicePort(string Name, int Port, PortProtocol Protocol)
{
    /// <summary>The protocol as Istio names it in <c>appProtocol</c> and port-name prefixes (each mesh's value: <see cref="Workloads.IInjection.AppProtocol"/>).</summary>
    public string AppProtocol => Protocol switch
    {
        PortProtocol.Http => "http",
        PortProtocol.Http2 => "http2",
        PortProtocol.Grpc => "grpc",
        _ => "tcp",
    };

    public bool IsHttp => Protocol is not PortProtocol.Tcp;
}

/// <summary>An OCI image pinned by tag and/or digest.</summary>
public sealed record ImageReference(string Repository, string? Tag, string? Digest)
{
    public override string ToString() =>
        Repository + (Tag is null ? "" : $":{Tag}") + (Digest is null ? "" : $"@{Digest}");

    public ImageReference WithTag(string tag) => this with { Tag = tag, Digest = null };
}

public sealed record HealthSettings(string Port, string ReadinessPath, string LivenessPath, int StartupSeconds);

public sealed record MetricsSettings(string Port, string Path);

/// <summary>The nREPL debugging port: never on the Service, never through the mesh, off in prod by default.</summary>
public sealed record NreplSettings(int Port, bool Enabled);

/// <summary>Requests; the memory limit always equals the request (the JVM sizes its heap from it).</summary>
public sealed record ResourceSettings(string Cpu, string Memory, string? CpuLimit);

/// <summary>
/// Graceful stop: the container keeps serving for <paramref name="PreStopSeconds"/> while endpoints and proxies drop it,
/// then gets SIGTERM; the kubelet kills it <paramref name="TerminationGracePeriodSeconds"/> after the stop began.
/// </summary>
public sealed record ShutdownSettings(int PreStopSeconds, int TerminationGracePeriodSeconds)
{
    public static ShutdownSettings Default { get; } = new(10, 45);
}

public sealed record JvmSettings(int MaxRamPercentage, ImmutableArray<string> Options);

public enum ConfigReload
{
    /// <summary>Mounted as a directory (no subPath) so kubelet updates the file and the app reloads it.</summary>
    Live,

    /// <summary>A checksum on the pod template rolls the pods when the config changes.</summary>
    Restart,
}

/// <summary>Per-service configuration: an EDN document and environment variables.</summary>
public sealed record ServiceConfig(ConfigReload Reload, YamlMappingNode? Edn, ImmutableArray<KeyValuePair<string, string>> Environment);

/// <summary>An environment variable filled from a secret stack config key (<c>pulumi config set --secret</c>).</summary>
public sealed record SecretEnvironmentVariable(string Name, string ConfigKey);

/// <summary>One edge of the call graph: this service calls <paramref name="Service"/>.</summary>
public sealed record CallSettings(string Service, ImmutableArray<string> Methods, ImmutableArray<string> Paths);

public enum ExternalProtocol
{
    /// <summary>The app speaks TLS itself; the proxy passes it through by SNI.</summary>
    Tls,

    /// <summary>Plain TCP (PostgreSQL, Kafka, Redis...): the proxy can only route it by address and port.</summary>
    Tcp,
}

/// <summary>A host outside the catalog the service may reach: a managed database, a SaaS API, or an in-cluster Service.</summary>
public sealed record ExternalHost(string Host, int Port, ExternalProtocol Protocol)
{
    public const int DefaultTlsPort = 443;

    private const string ClusterSuffix = "." + Names.ClusterDomain;

    /// <summary>The namespace of a Kubernetes Service (<c>name.namespace.svc.cluster.local</c>); null for a host outside the cluster.</summary>
    public string? ClusterNamespace => Host.EndsWith(ClusterSuffix, StringComparison.Ordinal)
        ? Host[..^ClusterSuffix.Length].Split('.') is [_, var ns] ? ns : null
        : null;

    public bool InCluster => ClusterNamespace is not null;
}

/// <summary>Exposed through the mesh's ingress under <paramref name="Host"/>.</summary>
public sealed record PublicSettings(string Host, ImmutableArray<string> PathPrefixes);

/// <summary>A canary version beside stable: its own tag and replicas, a share of traffic, and an opt-in header.</summary>
public sealed record CanarySettings(string Tag, int Weight, int Replicas, string HeaderName, string HeaderValue);

public sealed record RetrySettings(int Attempts, string PerTryTimeout, string RetryOn);

public sealed record ConnectionPoolSettings(int MaxConnections, int MaxPendingRequests, int MaxRequestsPerConnection);

public sealed record OutlierDetectionSettings(int Consecutive5xxErrors, string Interval, string BaseEjectionTime, int MaxEjectionPercent);

public sealed record TrafficSettings(string Timeout, RetrySettings Retries, ConnectionPoolSettings ConnectionPool, OutlierDetectionSettings OutlierDetection);

public sealed record AutoscalingSettings(bool Enabled, int MinReplicas, int MaxReplicas, int TargetCpuUtilization);

/// <summary>The mesh ingress for public services.</summary>
public sealed record IngressSettings(string Namespace, string TlsSecretName, int Replicas);

public enum MtlsMode
{
    Strict,
    Permissive,
}

public sealed record SecuritySettings(MtlsMode Mtls, ImmutableSortedDictionary<string, MtlsMode> NamespaceMtls, bool DefaultDeny);

public sealed record ObservabilitySettings(
    double TraceSampling,
    bool AccessLogs,
    bool Prometheus,
    bool Grafana,
    bool Kiali,
    bool Jaeger);

/// <summary>
/// The in-cluster checks after each deploy (see <c>Verification/VerificationPlanner</c>).
/// </summary>
/// <param name="Enabled">Plan the verification Jobs at all.</param>
/// <param name="Image">The checks' image: any image with <c>sh</c>, <c>curl</c>, <c>grep</c>, <c>sed</c> and <c>tr</c> that runs as a non-root user (a mirror in a private registry).</param>
/// <param name="Path">
/// The side-effect-free request every check sends: <c>GET</c> on this path of the callee's HTTP port. Authorization
/// lets every declared caller send it (and nobody else); the application answers it without running a business
/// operation (any answer below 500, a 404 included, proves the edge) and names its version in
/// <see cref="VersionHeader"/>, which canary checks count.
/// </param>
/// <param name="CanaryRequests">Requests per canary split check (20..10000); the tolerance follows from it.</param>
public sealed record VerificationSettings(bool Enabled, string Image, string Path, int CanaryRequests)
{
    public const string DefaultImage = "docker.io/curlimages/curl:8.11.1";
    public const string DefaultPath = "/mesh-verify";
    public const int DefaultCanaryRequests = 200;

    /// <summary>The response header a service's answer on <see cref="Path"/> names its version in (<c>SERVICE_VERSION</c>: stable or canary).</summary>
    public const string VersionHeader = "x-service-version";

    public static VerificationSettings Default { get; } = new(true, DefaultImage, DefaultPath, DefaultCanaryRequests);
}
