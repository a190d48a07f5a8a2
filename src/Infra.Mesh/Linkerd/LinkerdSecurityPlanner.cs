using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Infra.Mesh.Linkerd.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Linkerd;

/// <summary>
/// Least privilege on Linkerd: a Server per service port (everything it does not authorize is denied), and per
/// declared call an authorization of the caller's mTLS identity (its service account) — on HTTP ports only for the
/// declared methods and paths, through inbound HTTPRoutes. The namespace's default inbound policy covers the rest.
/// </summary>
public sealed class LinkerdSecurityPlanner : ISecurityPlanner
{
    /// <summary>The NetworkAuthentication, in each application namespace, that kubelet probes are authorized by.</summary>
    public const string KubeletAuthentication = "kubelet";

    /// <summary>The NetworkAuthentication, in a namespace with calls opened by <c>unauthenticated: true</c> (or scraped by an unmeshed scraper), that those clients are authorized by.</summary>
    public const string UnauthenticatedAuthentication = "unauthenticated";

    /// <summary>The caller names of the scrapers in the objects that authorize them (<see cref="Scrapers"/>).</summary>
    public const string VizScraper = "viz-prometheus";
    public const string DeclaredScraper = "metrics-scraper";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        var graph = CallGraph.Of(settings);
        foreach (var ns in settings.Namespaces)
        {
            plan.Add(StageKind.Policies, Kubelet(ns));
        }

        var plainTextScraper = Scrapers(settings).Any(s => s.Unauthenticated);
        // Stryker disable once Logical : a NetworkAuthentication admits nobody by itself, only through an AuthorizationPolicy naming it, so one in a namespace too many changes nothing.
        var plainTextNamespaces = graph.Edges.Where(e => e.Call.Unauthenticated && e.Callee.Injected).Select(e => e.Callee.Namespace)
            .Concat(plainTextScraper ? settings.Services.Where(s => s.Injected && ScrapedThroughRoutes(s)).Select(s => s.Namespace) : []);
        foreach (var ns in plainTextNamespaces.Distinct(StringComparer.Ordinal))
        {
            plan.Add(StageKind.Policies, Unauthenticated(ns));
        }

        plan.AddEach([.. settings.Services.Where(s => s.Injected)], (sink, service) =>
        {
            // The ports of a service mostly admit the same callers: one MeshTLSAuthentication per set, shared.
            var authentications = new Dictionary<string, ManifestItem>(StringComparer.Ordinal);
            foreach (var port in service.Ports)
            {
                var server = sink.Add(StageKind.Policies, Server(service, port, settings));
                if (port.Protocol is PortProtocol.Http or PortProtocol.Http2)
                {
                    PlanRoutes(sink, service, port, server, graph, settings.Verification.Enabled ? settings.Verification.Path : null, authentications);
                }
                else
                {
                    PlanServerAuthorization(sink, service, port, server, graph, authentications);
                }
            }
        });
    }

    public static string ServerName(ServiceSettings service, ServicePort port) => $"{service.Name}-{port.Name}";

    /// <summary>Probes come from the node, unauthenticated; kubelet's addresses cannot be known, so (like Linkerd's own default) any network.</summary>
    public static NetworkAuthentication Kubelet(string ns) => new(
        new V1ObjectMeta { Name = KubeletAuthentication, NamespaceProperty = ns, Labels = Labels.Managed() },
        new NetworkAuthenticationSpec([new AuthorizedNetwork("0.0.0.0/0"), new AuthorizedNetwork("::/0")]));

    public static AuthenticationReference KubeletReference(string ns) =>
        new(LinkerdPolicy.Group, "NetworkAuthentication", KubeletAuthentication, ns);

    /// <summary>
    /// Clients without a mesh identity, for calls opened with <c>unauthenticated: true</c> and an unmeshed
    /// <c>infra:linkerd.scraper</c>. Linkerd authenticates plain
    /// text only by the client's address: an AuthorizationPolicy whose only authentication is a NetworkAuthentication
    /// admits unauthenticated clients from those networks (policy-controller/k8s/index/src/inbound/index.rs turns it into
    /// <c>ClientAuthentication::Unauthenticated</c>). A pod's address cannot be known in advance, so all networks, as for kubelet.
    /// </summary>
    public static NetworkAuthentication Unauthenticated(string ns) => new(
        new V1ObjectMeta { Name = UnauthenticatedAuthentication, NamespaceProperty = ns, Labels = Labels.Managed() },
        new NetworkAuthenticationSpec([new AuthorizedNetwork("0.0.0.0/0"), new AuthorizedNetwork("::/0")]));

    /// <summary>An AuthorizationPolicy planned after what it targets and authenticates by.</summary>
    public static ManifestItem Authorization(
        V1ObjectMeta metadata, PolicyTargetReference target, string targetId, ImmutableArray<AuthenticationReference> authentications, params string[] needs) =>
        new(new AuthorizationPolicy(metadata, new AuthorizationPolicySpec(target, authentications))) { DependsOn = [targetId, .. needs] };

    public static PolicyTargetReference RouteTarget(string name) => new(GatewayApiGroup.Group, "HTTPRoute", name);

    /// <summary>
    /// Inbound HTTPRoutes on the Server, one per set of callers with the same allowed requests. Once a Server has
    /// routes, Linkerd no longer authorizes kubelet probes by itself, so the health port also gets a probe route.
    /// </summary>
    private static void PlanRoutes(
        IPlanSink plan, ServiceSettings service, ServicePort port, ManifestItem server, CallGraph graph, string? verificationPath,
        Dictionary<string, ManifestItem> authentications)
    {
        foreach (var access in InboundAccess.Of(Calls(service, port, graph, plan.Settings, verificationPath)))
        {
            var name = CallersName(ServerName(service, port), access.Callers);
            var route = plan.Add(StageKind.Policies, OnServer(InboundRoute(service, port, name, access.Matches), server));
            Authorize(plan, service, name, RouteTarget(name), route.Id, access.Callers, authentications);
        }

        // The least specific route, authorized for nobody: a request no other route matches is refused with 403
        // (as every unauthorized request is) instead of Linkerd's 404 for an unrouted request.
        plan.Add(StageKind.Policies, OnServer(new HttpRoute(Labels.Meta(service, $"{ServerName(service, port)}-unmatched"), new HttpRouteSpec(
            [ServerReference(service, port)], [new HttpRouteRule(Matches: [new HttpRouteMatch(HttpPathMatch.Prefix("/"))])])), server));

        if (service.Health.Port == port.Name)
        {
            var name = $"{ServerName(service, port)}-probes";
            IEnumerable<string> paths = [service.Health.ReadinessPath, service.Health.LivenessPath];
            var probes = paths.Distinct(StringComparer.Ordinal).Select(p => new RequestMatch("GET", p, IsPrefix: false));
            var route = plan.Add(StageKind.Policies, OnServer(InboundRoute(service, port, name, [.. probes]), server));
            plan.Add(StageKind.Policies, Authorization(Labels.Meta(service, name), RouteTarget(name), route.Id, [KubeletReference(service.Namespace)],
                ManifestIds.Of(Kubelet(service.Namespace))));
        }
    }

    /// <summary>An inbound route, planned after the Server it attaches to.</summary>
    private static ManifestItem OnServer(HttpRoute route, ManifestItem server) =>
        // Stryker disable once Initializer : the Pulumi program creates a stage's objects as one ConfigGroup and keeps only their dependencies outside the stage (src/Infra/PlanResources.cs GroupNeeds); route and Server share the Policies stage, so this dependency orders nothing a cluster sees.
        new ManifestItem(route) { DependsOn = [server.Id] };

    /// <summary>
    /// The calls into one HTTP port: the declared callers, and under progressive delivery Flagger's load tester with
    /// GET on its webhook paths on the routed port (as one more caller, so route precedence treats it like any other).
    /// </summary>
    private static IEnumerable<(Caller, IEnumerable<RequestMatch>)> Calls(ServiceSettings service, ServicePort port, CallGraph graph, StackSettings settings, string? verificationPath)
    {
        // Every declared caller may also send the side-effect-free verification request (README "Verification").
        IEnumerable<RequestMatch> verification = verificationPath is null ? [] : [new RequestMatch("GET", verificationPath, IsPrefix: false)];
        var calls = graph.Into(service).Select(e => (Caller.Of(e.Caller) with { Unauthenticated = e.Call.Unauthenticated }, RequestMatch.Of(e.Call).Concat(verification)));
        if (port.Name == service.Metrics.Port)
        {
            calls = calls.Concat(Scrapers(settings).Select(scraper => (scraper, RequestMatch.Of(new CallSettings(service.Name, ["GET"], [service.Metrics.Path])))));
        }

        var testerPaths = FlaggerNames.LoadTesterPaths(service, settings);
        // Stryker disable once Linq : the callers' order only orders the names within a shared route's name; who may send what stays the same.
        return testerPaths.Count > 0 && port == service.HttpPort
            ? calls.Append((new Caller(FlaggerNames.LoadTester, FlaggerNames.Namespace, FlaggerNames.LoadTester), RequestMatch.Of(new CallSettings(service.Name, ["GET"], [.. testerPaths]))))
            : calls;
    }

    /// <summary>
    /// The Prometheus servers the stack declares, which read every service's metrics (<c>GET</c> of
    /// <c>metrics.path</c> on <c>metrics.port</c>) as one more caller: linkerd-viz's own (meshed: the chart injects it and
    /// runs it as service account <c>prometheus</c>, viz/charts/linkerd-viz/templates/prometheus.yaml; authorized by that
    /// identity as the chart's own allow-scrapes-policy.yaml authorizes it on the proxies' <c>/metrics</c>), and the
    /// cluster's own (<c>infra:linkerd.scraper</c>), by identity when meshed, else by network.
    /// </summary>
    public static IEnumerable<Caller> Scrapers(StackSettings settings)
    {
        if (settings.Linkerd.Viz)
        {
            yield return new Caller(VizScraper, LinkerdSettings.VizNamespace, "prometheus");
        }

        if (settings.Linkerd.Scraper is { } scraper)
        {
            yield return new Caller(DeclaredScraper, scraper.Namespace, scraper.ServiceAccount, Unauthenticated: !scraper.Meshed);
        }
    }

    /// <summary>Whether the Server of a service's metrics port takes routes (HTTP/1 or HTTP/2), where a scraper can be authorized on the path.</summary>
    public static bool ScrapedThroughRoutes(ServiceSettings service) =>
        service.Port(service.Metrics.Port).Protocol is PortProtocol.Http or PortProtocol.Http2;

    /// <summary>
    /// gRPC and TCP ports: authorized per connection, so only callers whose call is not restricted to HTTP methods or
    /// paths (those restrictions cannot be checked there). No route on the Server, so Linkerd still authorizes probes.
    /// </summary>
    private static void PlanServerAuthorization(
        IPlanSink plan, ServiceSettings service, ServicePort port, ManifestItem server, CallGraph graph, Dictionary<string, ManifestItem> authentications)
    {
        var unrestricted = graph.Into(service).Where(e => e.Call.Methods.IsEmpty && e.Call.Paths.IsEmpty)
            .Select(e => Caller.Of(e.Caller) with { Unauthenticated = e.Call.Unauthenticated }).ToImmutableArray();
        // Stryker disable once Statement,Block : Authorize plans nothing for no callers either; the early return only says so.
        if (unrestricted.IsEmpty)
        {
            return;
        }

        var name = ServerName(service, port);
        Authorize(plan, service, name, new PolicyTargetReference(LinkerdPolicy.Group, "Server", name), server.Id, unrestricted, authentications);
    }

    /// <summary>
    /// Authorizes <paramref name="callers"/> on a route or Server: the identified ones by a MeshTLSAuthentication of their
    /// service accounts (one per set of callers of the service, in <paramref name="authentications"/> by name), and, when
    /// there are callers opened with <c>unauthenticated: true</c>, plain text by a second policy (a policy needs ALL its
    /// authentications, policies on one target are alternatives).
    /// </summary>
    private static void Authorize(
        IPlanSink plan, ServiceSettings service, string name, PolicyTargetReference target, string targetId, ImmutableArray<Caller> callers,
        Dictionary<string, ManifestItem> authentications)
    {
        var identified = callers.Where(c => !c.Unauthenticated).ToImmutableArray();
        if (!identified.IsEmpty)
        {
            var authenticationName = CallersName(service.Name, identified);
            if (!authentications.TryGetValue(authenticationName, out var authentication))
            {
                authentication = plan.Add(StageKind.Policies, Callers(service, authenticationName, identified));
                authentications.Add(authenticationName, authentication);
            }

            plan.Add(StageKind.Policies, Authorization(Labels.Meta(service, name), target, targetId, [Reference(authentication)], authentication.Id));
        }

        if (callers.Any(c => c.Unauthenticated))
        {
            plan.Add(StageKind.Policies, Authorization(
                Labels.Meta(service, $"{name}-{UnauthenticatedAuthentication}"),
                target,
                targetId,
                [new AuthenticationReference(LinkerdPolicy.Group, "NetworkAuthentication", UnauthenticatedAuthentication)],
                ManifestIds.Of(Unauthenticated(service.Namespace))));
        }
    }

    /// <summary>Under progressive delivery the Server selects the primary's pods and the canary's alike (Flagger relabels only <c>app</c>).</summary>
    private static Server Server(ServiceSettings service, ServicePort port, StackSettings settings) => new(
        Labels.Meta(service, ServerName(service, port)),
        new ServerSpec(
            new PodSelector(MatchLabels: FlaggerNames.PolicySelector(service, settings)),
            port.Name,
            port.Protocol switch
            {
                PortProtocol.Http => "HTTP/1",
                PortProtocol.Http2 => "HTTP/2",
                PortProtocol.Grpc => "gRPC",
                _ => "opaque",
            },
            // Explicit although it is the default: the whole point of the Server is that unauthorized traffic is refused.
            AccessPolicy: "deny"));

    private static HttpRoute InboundRoute(ServiceSettings service, ServicePort port, string name, ImmutableArray<RequestMatch> matches) => new(
        Labels.Meta(service, name),
        new HttpRouteSpec(
            [ServerReference(service, port)],
            // Gateway API allows at most 64 matches per rule.
            [.. matches.Chunk(64).Select(chunk => new HttpRouteRule(Matches: [.. chunk.Select(m => m.ToRouteMatch())]))]));

    private static ParentReference ServerReference(ServiceSettings service, ServicePort port) =>
        new(LinkerdPolicy.Group, "Server", ServerName(service, port));

    private static MeshTlsAuthentication Callers(ServiceSettings service, string name, ImmutableArray<Caller> callers) => new(
        Labels.Meta(service, name),
        new MeshTlsAuthenticationSpec([.. callers.Select(c => IdentityReference.ServiceAccount(c.ServiceAccount, c.Namespace))]));

    private static AuthenticationReference Reference(ManifestItem authentication) =>
        new(LinkerdPolicy.Group, authentication.Kind, authentication.Name);

    /// <summary>
    /// The name of what a set of callers is authorized by: <c>&lt;prefix&gt;-from-&lt;caller&gt;</c> for one caller, else
    /// <c>&lt;prefix&gt;-from-&lt;n&gt;-callers-&lt;digest&gt;</c>, the digest the first 8 hex digits of SHA-256 over the callers'
    /// names in ordinal order. The callers are listed in the objects themselves; the name has to be stable, distinct per
    /// set and bounded whatever the number of callers (caller and service names are DNS labels, so it stays far below
    /// Kubernetes' 253 characters). A set that changes gets new objects, which Pulumi creates before it deletes the old
    /// ones, so no authorized request is refused in between.
    /// </summary>
    private static string CallersName(string prefix, IReadOnlyCollection<Caller> callers)
    {
        if (callers.Count == 1)
        {
            // Stryker disable once Linq : with exactly one caller First and FirstOrDefault are the same.
            return $"{prefix}-from-{callers.First().Name}";
        }

        // Stryker disable once Linq : any fixed order gives a stable digest, distinct per set of callers.
        var names = string.Join(' ', callers.Select(c => c.Name).Order(StringComparer.Ordinal));
        return $"{prefix}-from-{callers.Count}-callers-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(names)))[..8]}";
    }
}
