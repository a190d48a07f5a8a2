using Infra.Mesh.Settings;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Linkerd;

public sealed class LinkerdProxyProbe : IProxyProbe
{
    /// <summary>The proxy's admin port (4191) in the pod's network namespace.</summary>
    public string? ReadinessUrl => "http://localhost:4191/ready";

    /// <summary>Nothing to add: the control-plane chart injects native sidecars by default (<c>proxy.nativeSidecar: true</c>).</summary>
    public MeshMetadata RunToCompletion => MeshMetadata.Empty;

    /// <summary>
    /// Every response linkerd2-proxy synthesizes (502/503/504 when no endpoint answers, 403 when unauthorized, ...)
    /// carries <c>l5d-proxy-error</c> (linkerd/linkerd2-proxy linkerd/app/core/src/errors/respond.rs,
    /// <c>SyntheticHttpResponse::http_response</c>: <c>rsp.header(L5D_PROXY_ERROR, self.message())</c>); a forwarded
    /// response does not.
    /// </summary>
    public string ForwardedEvidence => "! grep -q '^l5d-proxy-error:' \"$h\"";

    /// <summary>
    /// The callee's proxy refuses an unauthorized HTTP request with a synthesized 403 (respond.rs
    /// <c>permission_denied</c>: <c>StatusCode::FORBIDDEN</c>), which carries <c>l5d-proxy-error</c> and no body.
    /// </summary>
    public string DeniedEvidence => "[ \"$code\" = 403 ] && grep -q '^l5d-proxy-error:' \"$h\"";

    /// <summary>
    /// An unauthenticated (plain-text) client gets the proxy's synthesized 403 on an HTTP Server's port and a closed
    /// connection on an opaque one.
    /// </summary>
    public string RefusedEvidence => "[ \"$code\" = 000 ] || [ \"$code\" = 403 ]";

    private static readonly string[] ControlPlaneDeployments = ["linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"];

    /// <summary>
    /// The control-plane chart's Deployments and webhook configurations (linkerd/linkerd2 edge-26.8.3
    /// pkg/k8s/labels.go: <c>ProxyInjectorWebhookConfig</c>, <c>ProxyVersionAnnotation</c> =
    /// <c>linkerd.io/proxy-version</c>, which the injector sets to the release, e.g. <c>edge-26.8.3</c> for chart 2026.8.3).
    /// </summary>
    public LiveExpectation Live(StackSettings settings) => new(
        [.. ControlPlaneDeployments.Select(d => new NamespacedName(LinkerdSettings.SystemNamespace, d))],
        ["linkerd-proxy-injector-webhook-config"],
        ["linkerd-policy-validator-webhook-config"],
        "linkerd-proxy",
        EdgeRelease(settings.Linkerd.Version),
        "linkerd.io/proxy-version");

    /// <summary>Edge chart <c>2026.8.3</c> is release <c>edge-26.8.3</c>.</summary>
    public static string EdgeRelease(string chartVersion) =>
        chartVersion.Split('.') is [var year, var month, var n] && year.Length == 4 ? $"edge-{year[2..]}.{month}.{n}" : chartVersion;

    /// <summary>Every injected service port has a Server with <c>accessPolicy: deny</c>, whatever the namespace default.</summary>
    public bool Refuses(StackSettings settings, ServiceSettings service, bool called) => service.Injected;
}
