using System.Globalization;
using Infra.Mesh.Istio.Ambient;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Istio;

/// <summary>
/// Per service: a DestinationRule (version subsets, mesh mTLS, connection limits, outlier detection), a
/// VirtualService (weighted stable/canary split, header opt-in to the canary, timeout and retries), a Sidecar
/// that narrows the proxy's view to the declared dependencies, ServiceEntries for external hosts and, for
/// public services, an ingress Gateway with its own VirtualService.
/// </summary>
/// <remarks>
/// Ambient (<paramref name="waypoints"/> set): no Sidecar (it configures only sidecars), and mesh routes only for the
/// services a waypoint serves: a waypoint applies the VirtualServices whose hosts match its service
/// (pilot/pkg/networking/core/listener_waypoint.go buildWaypointInboundHTTPRouteConfig, 1.30.3), which keeps retries
/// with their <c>retryOn</c> conditions (the standard-channel HTTPRoute has no retry field). ztunnel reads neither
/// routes nor DestinationRules, so a DestinationRule is planned only where an Envoy is the client: a waypoint, or the
/// ingress gateway for public services (its routes pick the version subsets). Gateway API waypoints
/// (<see cref="Waypoints.Gateway"/>) are planned per namespace that needs one.
/// </remarks>
public sealed class IstioTrafficPlanner(Waypoints? waypoints) : ITrafficPlanner
{
    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        foreach (var ns in waypoints?.Namespaces ?? [])
        {
            plan.Add(StageKind.Policies, Waypoints.Gateway(ns, settings.Istio));
        }

        foreach (var service in settings.Services)
        {
            // Under progressive delivery (sidecars only) Flagger generates the VirtualService <service> (bound to the
            // ingress Gateway too for a public service) and the DestinationRules of <service>-primary and <service>-canary
            // (fluxcd/flagger v1.44.0 pkg/router/istio.go); what stays here is the Service's own DestinationRule, which the
            // TCP ports it does not route still use.
            var progressive = settings.IsProgressive(service);
            var meshRouted = waypoints?.Serves(service) ?? true;
            if (meshRouted || service.Public is not null)
            {
                plan.Add(StageKind.Policies, DestinationRule(service, ambient: waypoints is not null, progressive));
            }

            if (meshRouted && !progressive)
            {
                plan.Add(StageKind.Policies, MeshRoutes(service));
            }

            if (service.Public is { } exposed)
            {
                plan.Add(StageKind.Policies, IngressGateway(service, exposed, settings.Ingress));
                if (!progressive)
                {
                    plan.Add(StageKind.Policies, IngressRoutes(service, exposed, settings.Ingress));
                }
            }

            foreach (var entry in ExternalServiceEntries(service))
            {
                plan.Add(StageKind.Policies, entry);
            }

            if (service.Injected && waypoints is null)
            {
                plan.Add(StageKind.Policies, Sidecar(service, settings));
            }
        }
    }

    /// <summary>
    /// Hosts a service's proxy may reach (<c>namespace/host</c>): the control plane, what it calls, its external hosts,
    /// and the Kubernetes API when its pods mount a service account token (the only reason to mount one).
    /// A progressive callee's VirtualService sends the calls on to the hosts of Flagger's <c>-primary</c> and
    /// <c>-canary</c> Services, which the proxy must know as well or the routed requests find no cluster.
    /// </summary>
    public static IReadOnlyList<string> EgressHosts(ServiceSettings service, StackSettings settings) =>
    [
        IstioNames.ControlPlaneEgressHost,
        .. service.AutomountServiceAccountToken ? [IstioNames.KubernetesApiEgressHost] : Array.Empty<string>(),
        .. service.Calls.Select(c => settings.Service(c.Service)).SelectMany(callee => IstioNames.Hosts(callee, settings).Select(host => $"{callee.Namespace}/{host}")),
        // A Kubernetes Service is registered in its own namespace; a ServiceEntry is exported to the caller's only.
        .. service.ExternalHosts.Select(h => $"{h.ClusterNamespace ?? service.Namespace}/{h.Host}").Distinct(StringComparer.Ordinal),
    ];

    /// <summary>The weighted destinations of the default route: stable takes what the canary does not.</summary>
    public static IReadOnlyList<RouteDestination> WeightedDestinations(ServiceSettings service, PortSelector? port)
    {
        var canaryWeight = service.Canary?.Weight ?? 0;
        var destinations = new List<RouteDestination>();
        if (canaryWeight < 100)
        {
            destinations.Add(new RouteDestination(new Destination(IstioNames.Host(service), Labels.Stable, port), 100 - canaryWeight));
        }

        if (canaryWeight > 0)
        {
            destinations.Add(new RouteDestination(new Destination(IstioNames.Host(service), Labels.Canary, port), canaryWeight));
        }

        return destinations;
    }

    /// <param name="ambient">
    /// HBONE already carries ambient traffic in mTLS, and a waypoint ignores ISTIO_MUTUAL
    /// (pilot/pkg/networking/core/cluster_waypoint.go buildWaypointTLSContext), so no client TLS is set.
    /// </param>
    /// <param name="progressive">Version subsets only where this plan routes to them; Flagger routes to its own Services instead.</param>
    private static DestinationRule DestinationRule(ServiceSettings service, bool ambient, bool progressive) =>
        new(Meta(service, service.Name), new DestinationRuleSpec(
            IstioNames.Host(service),
            TrafficPolicy(service, ambient),
            progressive ? null : [.. WorkloadVersion.Of(service).Select(v => new Subset(v.Name, new Dictionary<string, string> { [Labels.Version] = v.Name }))]));

    /// <summary>How callers' proxies connect to the service: mesh mTLS (not under ambient), connection limits, outlier detection.</summary>
    public static TrafficPolicy TrafficPolicy(ServiceSettings service, bool ambient)
    {
        var pool = service.Traffic.ConnectionPool;
        var outlier = service.Traffic.OutlierDetection;
        return new TrafficPolicy(
            // A service outside the mesh has no proxy to terminate mesh mTLS.
            ambient ? null : new ClientTls(service.Injected ? "ISTIO_MUTUAL" : "DISABLE"),
            new ConnectionPool(
                new TcpPool(pool.MaxConnections),
                new HttpPool(pool.MaxPendingRequests, pool.MaxRequestsPerConnection == 0 ? null : pool.MaxRequestsPerConnection)),
            new OutlierDetection(outlier.Consecutive5xxErrors, outlier.Interval, outlier.BaseEjectionTime, outlier.MaxEjectionPercent));
    }

    private static VirtualService MeshRoutes(ServiceSettings service)
    {
        // Without a port the destination keeps the port the caller used, so one route serves every HTTP port; a
        // streaming port first gets routes of its own (matched by port, first match wins) without timeout or retries.
        // Stryker disable once Logical,Conditional : without a non-streaming HTTP port the portless routes would follow routes matching every HTTP port by number, so no request could reach them.
        var portless = service.Ports.Any(p => p.IsHttp && !p.LongLived) ? HttpRoutes(service, uris: null, port: null) : [];
        var http = service.Ports.Where(p => p.IsHttp && p.LongLived)
            .SelectMany(p => HttpRoutes(service, uris: null, port: null, streamingPort: p))
            .Concat(portless)
            .ToList();
        var tcp = service.Ports.Where(p => !p.IsHttp)
            .Select(p => new TcpRoute([new L4Match(p.Port)], WeightedDestinations(service, new PortSelector(p.Port))))
            .ToList();
        // Stryker disable once Conditional,Equality : an empty list of routes routes nothing, exactly like none.
        return new VirtualService(Meta(service, service.Name), new VirtualServiceSpec(
            [IstioNames.Host(service)], null, http.Count > 0 ? http : null, tcp.Count > 0 ? tcp : null));
    }

    /// <summary>
    /// The canary opt-in header route first (first match wins), then the weighted split. Routes for a
    /// <paramref name="streamingPort"/> match that port only, and routes to a streaming <paramref name="port"/> (the
    /// ingress route), have no timeout (a route without one has none: the CRD's "default is disabled"; its schema
    /// refuses <c>0s</c>) and no retries (<see cref="HttpRetry.None"/>): a stream outlives any request timeout, and a
    /// retried stream would replay its start to the server.
    /// </summary>
    private static List<HttpRoute> HttpRoutes(ServiceSettings service, IReadOnlyList<StringMatch>? uris, PortSelector? port, ServicePort? streamingPort = null)
    {
        var traffic = service.Traffic;
        var longLived = streamingPort is not null || (port is not null && service.Ports.Any(p => p.Port == port.Number && p.LongLived));
        var retries = longLived ? HttpRetry.None : Retry(traffic.Retries);
        var timeout = longLived ? null : Durations.UnlessZero(traffic.Timeout);
        var suffix = streamingPort is null ? "" : "-" + streamingPort.Name;
        IReadOnlyList<HttpMatch>? Matches(IReadOnlyDictionary<string, StringMatch>? headers) =>
            uris is not null ? [.. uris.Select(uri => new HttpMatch(headers, uri))]
            : headers is not null || streamingPort is not null ? [new HttpMatch(headers, null) { Port = streamingPort?.Port }]
            : null;

        var routes = new List<HttpRoute>();
        if (service.Canary is { } canary)
        {
            var header = new Dictionary<string, StringMatch> { [canary.HeaderName] = new(canary.HeaderValue, null) };
            routes.Add(new HttpRoute(
                "canary-header" + suffix,
                Matches(header),
                [new RouteDestination(new Destination(IstioNames.Host(service), Labels.Canary, port), 100)],
                timeout,
                retries));
        }

        routes.Add(new HttpRoute("weighted" + suffix, Matches(null), WeightedDestinations(service, port), timeout, retries));
        return routes;
    }

    /// <summary>
    /// Envoy applies the per-try timeout to the first attempt too, and retries an attempt that timed out only under
    /// these conditions; under any other it would just cut every request short of the route's timeout.
    /// </summary>
    private static readonly string[] RetriesTimedOutAttempt = ["5xx", "gateway-error", "reset"];

    /// <summary>Whether Envoy applies the per-try timeout, i.e. whether an attempt that timed out is retried.</summary>
    public static bool AppliesPerTryTimeout(RetrySettings retries) =>
        retries.RetryOn.Split(',', StringSplitOptions.TrimEntries).Intersect(RetriesTimedOutAttempt).Any();

    public static HttpRetry Retry(RetrySettings retries) => new(
        retries.Attempts,
        AppliesPerTryTimeout(retries) ? Durations.UnlessZero(retries.PerTryTimeout) : null,
        retries.RetryOn);

    private static Gateway IngressGateway(ServiceSettings service, PublicSettings exposed, IngressSettings ingress) =>
        new(Meta(service, service.Name, ingress.Namespace), new GatewaySpec(
            IstioNames.IngressGatewaySelector,
            [
                new Server("https", new ServerPort(443, "https", "HTTPS"), [exposed.Host], new ServerTls("SIMPLE", ingress.TlsSecretName, null)),
                new Server("http", new ServerPort(80, "http", "HTTP"), [exposed.Host], new ServerTls(null, null, HttpsRedirect: true)),
            ]));

    private static VirtualService IngressRoutes(ServiceSettings service, PublicSettings exposed, IngressSettings ingress)
    {
        // The gateway needs the port named: the service may have several.
        var port = new PortSelector(service.HttpPort.Port);
        var uris = exposed.PathPrefixes.Select(prefix => new StringMatch(null, prefix)).ToList();
        return new VirtualService(Meta(service, service.Name, ingress.Namespace), new VirtualServiceSpec(
            [exposed.Host], [$"{ingress.Namespace}/{service.Name}"], HttpRoutes(service, uris, port), null));
    }

    /// <summary>
    /// One ServiceEntry per port and protocol (an entry's ports apply to all its hosts) for the hosts outside the
    /// cluster; an in-cluster Service is already in the registry. TLS is routed by SNI; a TCP entry gets an address
    /// from istiod's IP auto-allocation, which the declaring workload's proxy answers DNS with (see
    /// <see cref="IstioInjection.DnsCaptureAnnotation"/>), so each TCP host has its own listener.
    /// </summary>
    /// <remarks>
    /// Wildcard hosts (TLS only) get entries of their own with resolution NONE: Istio cannot resolve <c>*.example.com</c>
    /// by DNS (its webhook rejects that), so the proxy forwards to the address the app resolved, matched by SNI.
    /// </remarks>
    private static IEnumerable<ServiceEntry> ExternalServiceEntries(ServiceSettings service) =>
        service.ExternalHosts.Where(h => !h.InCluster)
            .GroupBy(h => (h.Protocol, h.Port, Wildcard: h.Host.StartsWith("*.", StringComparison.Ordinal)))
            .Select(group => new ServiceEntry(Meta(service, ServiceEntryName(service, group.Key.Protocol, group.Key.Port, group.Key.Wildcard)), new ServiceEntrySpec(
                [.. group.Select(h => h.Host)],
                // Only this service's namespace sees the entry; other services stay blocked under REGISTRY_ONLY.
                ["."],
                "MESH_EXTERNAL",
                group.Key.Wildcard ? "NONE" : "DNS",
                [group.Key.Protocol == ExternalProtocol.Tcp ? new ServerPort(group.Key.Port, "tcp", "TCP") : new ServerPort(group.Key.Port, "tls", "TLS")])));

    /// <summary>TLS on 443 keeps the name it always had, so existing stacks update the entry in place.</summary>
    private static string ServiceEntryName(ServiceSettings service, ExternalProtocol protocol, int port, bool wildcard) =>
        (protocol == ExternalProtocol.Tls && port == ExternalHost.DefaultTlsPort
            ? $"{service.Name}-external"
            : $"{service.Name}-external-{protocol.ToString().ToLowerInvariant()}-{port.ToString(CultureInfo.InvariantCulture)}")
        + (wildcard ? "-wildcard" : "");

    private static Sidecar Sidecar(ServiceSettings service, StackSettings settings) =>
        new(Meta(service, service.Name), new SidecarSpec(
            new WorkloadSelector(FlaggerNames.PolicySelector(service, settings)),
            [new EgressListener(EgressHosts(service, settings))]));

    /// <summary>A service's object; the ingress Gateway and its routes live in the ingress namespace instead.</summary>
    private static V1ObjectMeta Meta(ServiceSettings service, string name, string? ns = null)
    {
        var meta = Labels.Meta(service, name);
        meta.NamespaceProperty = ns ?? service.Namespace;
        return meta;
    }
}
