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

        return new MeshMetadata(ImmutableSortedDictionary<string, string>.Empty, annotations);
    }

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
