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

    /// <summary>
    /// Annotations keyed with a hash that is the same in every process: the workloads copy them in enumeration order,
    /// and string hashes are randomized per process, which would reorder the render from run to run.
    /// </summary>
    private static readonly ImmutableDictionary<string, string> NoAnnotations = ImmutableDictionary.Create<string, string>(StableKeys.Instance);

    public MeshMetadata Namespace(string name) => new(
        ImmutableDictionary<string, string>.Empty,
        NoAnnotations
            .Add(InjectAnnotation, "enabled")
            .Add(DefaultInboundPolicyAnnotation, DefaultInboundPolicy(settings.Security, name)));

    public MeshMetadata PodTemplate(ServiceSettings service)
    {
        if (!service.Injected)
        {
            return new MeshMetadata(ImmutableDictionary<string, string>.Empty, NoAnnotations.Add(InjectAnnotation, "disabled"));
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

        return new MeshMetadata(ImmutableDictionary<string, string>.Empty, annotations);
    }

    /// <summary>
    /// What a meshed pod accepts on ports no Server selects: nothing under default deny; otherwise meshed (mTLS)
    /// clients only, unless the namespace's mTLS mode is PERMISSIVE.
    /// </summary>
    public static string DefaultInboundPolicy(SecuritySettings security, string ns) =>
        security.DefaultDeny ? "deny"
        : security.NamespaceMtls.GetValueOrDefault(ns, security.Mtls) == MtlsMode.Strict ? "all-authenticated"
        : "all-unauthenticated";

    /// <summary>Ordinal equality with an FNV-1a hash, stable across processes.</summary>
    private sealed class StableKeys : IEqualityComparer<string>
    {
        public static readonly StableKeys Instance = new();

        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string obj)
        {
            var hash = 2166136261u;
            foreach (var c in obj)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return unchecked((int)hash);
        }
    }
}
