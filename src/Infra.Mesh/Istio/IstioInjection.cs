using System.Collections.Immutable;
using System.Globalization;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Istio;

/// <summary>
/// Istio injects when the namespace selects a revision (<c>istio.io/rev</c>, here through a revision tag) and
/// the pod template does not opt out with the <c>sidecar.istio.io/inject</c> label.
/// </summary>
/// <remarks>
/// A sidecar is injected once, when the pod is created. Each injected pod template therefore names the revision
/// the tag points at: moving the tag changes the template, and the rolling update gives every pod the new proxy.
/// </remarks>
public sealed class IstioInjection(IstioSettings istio) : IInjection
{
    public const string RevisionLabel = "istio.io/rev";
    public const string InjectLabel = "sidecar.istio.io/inject";
    public const string ProxyRevisionAnnotation = "infra/istio-revision";
    public const string ProxyConfigAnnotation = "proxy.istio.io/config";
    public const string DnsCaptureAnnotation = "{\"proxyMetadata\":{\"ISTIO_META_DNS_CAPTURE\":\"true\"}}";

    public MeshMetadata Namespace(string name) => new(
        ImmutableSortedDictionary<string, string>.Empty.Add(RevisionLabel, istio.Tag),
        ImmutableSortedDictionary<string, string>.Empty);

    public string AppProtocol(ServicePort port) => port.AppProtocol;

    public MeshMetadata OptOut { get; } = new(
        ImmutableSortedDictionary<string, string>.Empty.Add(InjectLabel, "false"), ImmutableSortedDictionary<string, string>.Empty);

    public MeshMetadata PodTemplate(ServiceSettings service)
    {
        var labels = ImmutableSortedDictionary<string, string>.Empty;
        var annotations = ImmutableSortedDictionary<string, string>.Empty;
        if (!service.Injected)
        {
            return OptOut;
        }

        if (service.Nrepl.Enabled)
        {
            // nREPL is a debugging back door: never routed or authorised through the mesh, only port-forwarded.
            annotations = annotations.Add("traffic.sidecar.istio.io/excludeInboundPorts", service.Nrepl.Port.ToString(CultureInfo.InvariantCulture));
        }

        if (service.ExternalHosts.Any(h => h.Protocol == ExternalProtocol.Tcp && !h.InCluster))
        {
            // TCP has no Host header or SNI: the proxy answers the app's DNS query with the address istiod allocated
            // to the ServiceEntry, so the connection lands on that host's own listener. Istio merges proxyMetadata
            // with the mesh defaults.
            annotations = annotations.Add(ProxyConfigAnnotation, DnsCaptureAnnotation);
        }

        return new MeshMetadata(labels.Add(InjectLabel, "true"), annotations.Add(ProxyRevisionAnnotation, istio.TagRevision));
    }
}
