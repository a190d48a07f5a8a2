using System.Collections.Immutable;
using System.Globalization;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Linkerd;

/// <summary>
/// Linkerd's injector reads <c>linkerd.io/inject</c> on the namespace and the pod template; the proxy reads its
/// <c>config.linkerd.io/*</c> annotations from the same places.
/// </summary>
public sealed class LinkerdInjection(StackSettings settings) : IInjection
{
    public const string InjectAnnotation = "linkerd.io/inject";
    public const string DefaultInboundPolicyAnnotation = "config.linkerd.io/default-inbound-policy";
    public const string SkipInboundPortsAnnotation = "config.linkerd.io/skip-inbound-ports";
    public const string ProxyAwaitAnnotation = "config.linkerd.io/proxy-await";
    public const string SkipOutboundPortsAnnotation = "config.linkerd.io/skip-outbound-ports";

    /// <summary>
    /// The control plane's default opaque ports (<c>proxy.opaquePorts</c> in the pinned chart,
    /// ../shared/reference/linkerd/edge-26.8.3/charts/linkerd-control-plane/values.yaml), which the proxy forwards as
    /// TCP without protocol detection.
    /// </summary>
    public static ImmutableSortedSet<int> DefaultOpaquePorts { get; } = [25, 587, 3306, 4444, 5432, 6379, 9300, 11211];

    private static readonly ImmutableSortedDictionary<string, string> NoAnnotations = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    public MeshMetadata Namespace(string name) => new(
        ImmutableSortedDictionary<string, string>.Empty,
        NoAnnotations
            .Add(InjectAnnotation, "enabled")
            .Add(DefaultInboundPolicyAnnotation, DefaultInboundPolicy(settings.Security, name)));

    public MeshMetadata OptOut { get; } = new(ImmutableSortedDictionary<string, string>.Empty, NoAnnotations.Add(InjectAnnotation, "disabled"));

    public MeshMetadata PodTemplate(ServiceSettings service)
    {
        if (!service.Injected)
        {
            return OptOut;
        }

        var annotations = NoAnnotations
            .Add(InjectAnnotation, "enabled")
            // The JVM's first outbound calls (config, database) must not race the proxy: hold the app until it is ready.
            .Add(ProxyAwaitAnnotation, "enabled");
        if (service.Nrepl.Enabled)
        {
            // nREPL is reached by port-forward only; past the proxy it would fall under the namespace's deny policy.
            annotations = annotations.Add(SkipInboundPortsAnnotation, service.Nrepl.Port.ToString(CultureInfo.InvariantCulture));
        }

        if (SkippedOutboundPorts(service) is { Count: > 0 } skipped)
        {
            annotations = annotations.Add(SkipOutboundPortsAnnotation, string.Join(',', skipped));
        }

        return new MeshMetadata(ImmutableSortedDictionary<string, string>.Empty, annotations);
    }

    /// <summary>
    /// Ports of declared TCP hosts outside the default opaque list. On any other port the outbound proxy first waits
    /// for the client's bytes to detect HTTP; a protocol whose server speaks first (a greeting, a STARTTLS banner)
    /// sends none, so the connection stalls until detection times out. Linkerd does not restrict egress, so letting
    /// these ports bypass the proxy loses nothing but its TCP metrics.
    /// </summary>
    public static IReadOnlyList<int> SkippedOutboundPorts(ServiceSettings service) =>
    [
        .. service.ExternalHosts.Where(h => h.Protocol == ExternalProtocol.Tcp && !DefaultOpaquePorts.Contains(h.Port))
            .Select(h => h.Port).Distinct().Order(),
    ];

    /// <summary>
    /// The values Linkerd's policy controller reads; any other value (<c>grpc</c>, <c>http2</c>) it proxies as opaque
    /// TCP, without the port's routes, per-request balancing or HTTP metrics.
    /// </summary>
    public string AppProtocol(ServicePort port) => port.Protocol switch
    {
        PortProtocol.Http => "http",
        PortProtocol.Http2 or PortProtocol.Grpc => "kubernetes.io/h2c",
        _ => "linkerd.io/opaque",
    };

    /// <summary>
    /// What a meshed pod accepts on ports no Server selects: nothing under default deny; otherwise meshed (mTLS)
    /// clients only, unless the namespace's mTLS mode is PERMISSIVE.
    /// </summary>
    public static string DefaultInboundPolicy(SecuritySettings security, string ns) =>
        security.DefaultDeny ? "deny"
        : security.NamespaceMtls.GetValueOrDefault(ns, security.Mtls) == MtlsMode.Strict ? "all-authenticated"
        : "all-unauthenticated";
}
