using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Istio;

/// <summary>Names Istio objects share across planners, so a reference and its target cannot drift apart.</summary>
public static class IstioNames
{
    /// <summary>Gateway chart release; the chart names the Deployment and ServiceAccount after it.</summary>
    public const string IngressGatewayRelease = "istio-ingressgateway";

    /// <summary>Root namespace: mesh-wide PeerAuthentication and Telemetry live here, beside istiod and the addons.</summary>
    public const string RootNamespace = IstioSettings.SystemNamespace;

    /// <summary>A Sidecar egress host for everything in the root namespace: istiod (xDS, certificates) and the telemetry addons.</summary>
    public const string ControlPlaneEgressHost = RootNamespace + "/*";

    /// <summary>The namespace of the <c>kubernetes</c> Service, through which pods reach the API server.</summary>
    public const string KubernetesApiNamespace = "default";

    /// <summary>The Sidecar egress host of the Kubernetes API server (the <c>kubernetes</c> Service in <c>default</c>).</summary>
    public const string KubernetesApiEgressHost = KubernetesApiNamespace + "/kubernetes.default.svc.cluster.local";

    /// <summary>The ingress gateway pods' labels (the chart's selector labels: <c>istio</c> is the release name without <c>istio-</c>).</summary>
    public static IReadOnlyDictionary<string, string> IngressGatewaySelector { get; } =
        new Dictionary<string, string> { ["istio"] = "ingressgateway" };

    public static string Host(ServiceSettings service) => Names.ClusterHost(service.Name, service.Namespace);

    /// <summary>The hosts a call to the service ends up on: its Service, and under progressive delivery Flagger's primary and canary Services.</summary>
    public static IEnumerable<string> Hosts(ServiceSettings service, StackSettings settings) =>
        settings.IsProgressive(service)
            ? [Host(service), Names.ClusterHost(FlaggerNames.Primary(service), service.Namespace), Names.ClusterHost(FlaggerNames.Canary(service), service.Namespace)]
            : [Host(service)];

    /// <summary>The ingress gateway's SPIFFE identity (its ServiceAccount is named after the release).</summary>
    public static string IngressGatewayPrincipal(IngressSettings ingress) => CallGraph.Principal(ingress.Namespace, IngressGatewayRelease);

    public static string IstiodRelease(IstioRevision revision) => $"istiod-{revision.Name}";
}
