using System.Collections.Immutable;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using k8s.Models;

namespace Infra.Mesh.Istio.Ambient;

/// <summary>What a service asks of the mesh that only an L7 proxy (a waypoint) can do in ambient mode.</summary>
[Flags]
public enum L7Needs
{
    None = 0,

    /// <summary>A canary: the weighted stable/canary split and the header route are per request (or per TCP connection) routing.</summary>
    Canary = 1,

    /// <summary>A caller restricted to HTTP methods or paths: ztunnel sees no requests, so it cannot tell them apart.</summary>
    MethodOrPathRule = 2,

    /// <summary>A declared <c>traffic.timeout</c> or <c>traffic.retries</c>: request timeouts and retries are Envoy's.</summary>
    TimeoutOrRetries = 4,

    /// <summary>A declared <c>traffic.connectionPool</c> or <c>traffic.outlierDetection</c>: client-side Envoy load balancing.</summary>
    ConnectionPolicy = 8,
}

/// <summary>
/// Which services of an ambient stack are served by a waypoint, and the waypoints themselves: at most one per
/// namespace (a Gateway API Gateway named <see cref="Name"/>, class <c>istio-waypoint</c>), and only in namespaces
/// with a service that needs L7. Every other service stays on ztunnel alone (mTLS and L4 authorization).
/// </summary>
/// <remarks>
/// A service needs a waypoint when something inside the mesh calls it and it asks for L7 (<see cref="L7Needs"/>).
/// Traffic from the ingress gateway does not need one: the gateway is an Envoy that routes, splits, retries and times
/// out by its own VirtualService, and it sends to the pods directly unless the Service carries
/// <c>istio.io/ingress-use-waypoint</c> (pilot/pkg/features/ambient.go ENABLE_INGRESS_WAYPOINT_ROUTING, 1.30.3), which is
/// never set. Undeclared traffic defaults (timeout, retries) are not a need: with ztunnel alone a service has none.
/// </remarks>
public sealed class Waypoints
{
    /// <summary>The name <c>istioctl waypoint apply</c> gives a namespace's waypoint (constants.DefaultNamespaceWaypoint).</summary>
    public const string Name = "waypoint";

    /// <summary>The GatewayClass istiod deploys waypoints for (constants.WaypointGatewayClassName).</summary>
    public const string GatewayClass = "istio-waypoint";

    /// <summary>On a Service: its traffic goes through the named waypoint of its namespace.</summary>
    public const string UseWaypointLabel = "istio.io/use-waypoint";

    /// <summary>On the waypoint: which traffic it handles; <c>service</c> is traffic addressed to Services.</summary>
    public const string WaypointForLabel = "istio.io/waypoint-for";

    /// <summary>The listener istioctl/pkg/waypoint/waypoint.go (1.30.3) generates: HBONE tunnels on 15008, named "mesh".</summary>
    public static GatewayListener MeshListener { get; } = new("mesh", 15008, "HBONE");

    private readonly ImmutableDictionary<string, L7Needs> _needs;

    private Waypoints(ImmutableDictionary<string, L7Needs> needs, ImmutableArray<string> namespaces)
    {
        _needs = needs;
        Namespaces = namespaces;
    }

    /// <summary>Namespaces that run a waypoint, in catalog order.</summary>
    public ImmutableArray<string> Namespaces { get; }

    /// <summary>Linear in services plus calls: each call is looked at once.</summary>
    public static Waypoints Of(StackSettings settings)
    {
        var callers = CallGraph.Of(settings).Edges.ToLookup(e => e.Callee.Name, StringComparer.Ordinal);
        var needs = settings.Services
            .Select(s => (s.Name, Needs: callers[s.Name].Any() ? Needs(s, callers[s.Name]) : L7Needs.None))
            .Where(s => s.Needs != L7Needs.None)
            .ToImmutableDictionary(s => s.Name, s => s.Needs, StringComparer.Ordinal);
        var namespaces = settings.Services.Where(s => needs.ContainsKey(s.Name)).Select(s => s.Namespace).Distinct(StringComparer.Ordinal);
        return new Waypoints(needs, [.. namespaces]);
    }

    /// <summary>Why <paramref name="service"/> has a waypoint; <see cref="L7Needs.None"/> when ztunnel alone serves it.</summary>
    public L7Needs NeedsOf(ServiceSettings service) => _needs.GetValueOrDefault(service.Name);

    public bool Serves(ServiceSettings service) => _needs.ContainsKey(service.Name);

    /// <summary>
    /// The waypoint's SPIFFE identity: istiod deploys it with a ServiceAccount named after the Gateway
    /// (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go, <c>ServiceAccount: defaultName</c>). ztunnel on the
    /// callee's node sees this identity, not the caller's, for traffic that went through the waypoint.
    /// </summary>
    public static string Principal(string ns) => CallGraph.Principal(ns, Name);

    /// <summary>
    /// A namespace's waypoint. Labelled with the revision tag so the tagged istiod deploys it (pkg/revisions/tag_watcher.go
    /// IsMine reads the object's <c>istio.io/rev</c> first): ambient namespaces carry no <c>istio.io/rev</c>, which would
    /// make the tag's injection webhook add sidecars. Moving the tag moves the waypoint to the new control plane.
    /// </summary>
    public static KubernetesGateway Gateway(string ns, IstioSettings istio)
    {
        var labels = Labels.Managed();
        labels[WaypointForLabel] = "service";
        labels[IstioInjection.RevisionLabel] = istio.Tag;
        return new KubernetesGateway(
            new V1ObjectMeta { Name = Name, NamespaceProperty = ns, Labels = labels },
            new KubernetesGatewaySpec(GatewayClass, [MeshListener]));
    }

    private static L7Needs Needs(ServiceSettings service, IEnumerable<CallEdge> callers)
    {
        var needs = L7Needs.None;
        if (service.Canary is not null)
        {
            needs |= L7Needs.Canary;
        }

        if (callers.Any(e => !e.Call.Methods.IsEmpty || !e.Call.Paths.IsEmpty))
        {
            needs |= L7Needs.MethodOrPathRule;
        }

        var declared = service.Traffic.Declared;
        if (declared.Contains("timeout") || declared.Contains("retries"))
        {
            needs |= L7Needs.TimeoutOrRetries;
        }

        if (declared.Contains("connectionPool") || declared.Contains("outlierDetection"))
        {
            needs |= L7Needs.ConnectionPolicy;
        }

        return needs;
    }
}
