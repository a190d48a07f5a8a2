using System.Collections.Immutable;
using Infra.Mesh.Settings;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Istio;

public sealed class IstioProxyProbe : IProxyProbe
{
    /// <summary>The sidecar's status port (15021) in the pod's network namespace.</summary>
    public string? ReadinessUrl => "http://localhost:15021/healthz/ready";

    /// <summary>Istio's per-pod switch to a native sidecar (an init container that stops with the main container).</summary>
    public MeshMetadata RunToCompletion { get; } = new(
        ImmutableSortedDictionary<string, string>.Empty,
        ImmutableSortedDictionary<string, string>.Empty.Add("sidecar.istio.io/nativeSidecar", "true"));

    /// <summary>
    /// Envoy's router adds <c>x-envoy-upstream-service-time</c> to a response it received from an upstream, never to
    /// a local reply (503 no healthy upstream, 404 no route, 504 timeout); Istio leaves these headers on
    /// (istio/istio 1.30.3 pilot/pkg/networking/util/proxy_headers.go, <c>GetProxyHeadersFromProxyConfig</c>:
    /// <c>SuppressDebugHeaders: false</c>, which is Envoy's <c>suppress_envoy_headers</c>).
    /// </summary>
    public string ForwardedEvidence => "grep -q '^x-envoy-upstream-service-time:' \"$h\"";

    /// <summary>
    /// Envoy's RBAC filter, which enforces AuthorizationPolicy in the callee's sidecar, answers a denied request with
    /// 403 and the body <c>RBAC: access denied</c> (Istio's authorization docs show exactly this reply).
    /// </summary>
    public string DeniedEvidence => "[ \"$code\" = 403 ] && grep -q 'RBAC: access denied' \"$b\"";

    /// <summary>
    /// Under STRICT PeerAuthentication the sidecar's inbound listener has only mTLS filter chains: a plain-text
    /// connection matches none and is closed without an HTTP response (curl reports <c>000</c>).
    /// </summary>
    public string RefusedEvidence => "[ \"$code\" = 000 ]";

    /// <summary>
    /// The istiod chart names its Deployment <c>istiod-&lt;revision&gt;</c> and its injector webhook configuration
    /// <c>istio-sidecar-injector-&lt;revision&gt;</c> when <c>revision</c> is set (as it is for every revision here);
    /// pods get the <c>istio-proxy</c> container from the <c>proxyv2</c> image tagged with the revision's version.
    /// </summary>
    public LiveExpectation Live(StackSettings settings)
    {
        var istio = settings.Istio;
        var tagged = istio.Revisions.Single(r => r.Name == istio.TagRevision);
        return new LiveExpectation(
            [.. istio.Revisions.Select(r => new NamespacedName(IstioNames.RootNamespace, IstioNames.IstiodRelease(r)))],
            [.. istio.Revisions.Select(r => $"istio-sidecar-injector-{r.Name}")],
            [],
            "istio-proxy",
            tagged.Version,
            ProxyVersionAnnotation: null);
    }

    /// <summary>An ALLOW policy exists for the service when default deny is on, or when anything may call it.</summary>
    public bool Refuses(StackSettings settings, ServiceSettings service, bool called) =>
        service.Injected && (settings.Security.DefaultDeny || called || service.Public is not null);
}
