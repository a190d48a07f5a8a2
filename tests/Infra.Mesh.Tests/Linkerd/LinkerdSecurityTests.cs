using Infra.Mesh.Planner;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

public class LinkerdSecurityTests
{
    private static readonly string[] AllMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Every_declared_call_is_allowed_for_every_method_and_path_it_declares(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var model = new InboundPolicyModel(LinkerdStacks.Objects(variant));
        foreach (var edge in CallGraph.Of(settings).Edges)
        {
            foreach (var port in HttpPorts(edge.Callee))
            {
                var server = model.ServerFor(edge.Callee.Namespace, edge.Callee.Name, port.Name);
                foreach (var (method, path) in Requests(edge.Call))
                {
                    Assert.True(model.Allows(edge.Callee.Namespace, server, Identity(edge.Caller), method, path),
                        $"{edge.Caller.Name} -> {edge.Callee.Name}:{port.Name} {method} {path} should be allowed");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Every_declared_caller_and_nobody_else_may_send_the_verification_request(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var graph = CallGraph.Of(settings);
        var model = new InboundPolicyModel(LinkerdStacks.Objects(variant));
        var path = settings.Verification.Path;
        foreach (var callee in settings.Services.Where(s => s.Injected))
        {
            var callers = graph.Into(callee).Select(e => e.Caller.Name).ToHashSet();
            foreach (var port in HttpPorts(callee).Where(p => p.Protocol is PortProtocol.Http or PortProtocol.Http2))
            {
                var server = model.ServerFor(callee.Namespace, callee.Name, port.Name);
                foreach (var client in settings.Services.Where(s => s.Name != callee.Name))
                {
                    Assert.Equal(callers.Contains(client.Name), model.Allows(callee.Namespace, server, Identity(client), "GET", path));
                }

                Assert.False(model.Allows(callee.Namespace, server, "mesh-verifier/" + callee.Namespace, "GET", path));
                Assert.False(model.Allows(callee.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", path));
            }
        }
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void No_other_call_is_allowed(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var graph = CallGraph.Of(settings);
        var model = new InboundPolicyModel(LinkerdStacks.Objects(variant));
        foreach (var callee in settings.Services)
        {
            var declared = graph.Into(callee).ToList();
            foreach (var port in HttpPorts(callee))
            {
                var server = model.ServerFor(callee.Namespace, callee.Name, port.Name);
                foreach (var client in settings.Services.Where(s => s.Name != callee.Name))
                {
                    // Every method on every path anybody declares for this callee, plus an undeclared one.
                    var requests = declared.SelectMany(e => Requests(e.Call)).Select(r => r.Path).Append("/undeclared")
                        .SelectMany(path => AllMethods.Select(method => (Method: method, Path: path)));
                    var allowedCalls = declared.Where(e => e.Caller.Name == client.Name).Select(e => e.Call).ToList();
                    // Refused with 403 (what the verification Jobs expect of a denial), never Linkerd's 404 for an unrouted request.
                    foreach (var (method, path) in requests.Where(r => !allowedCalls.Any(c => Declares(c, r.Method, r.Path))))
                    {
                        Assert.True(model.Decide(callee.Namespace, server, Identity(client), method, path) == InboundVerdict.Forbidden,
                            $"{client.Name} -> {callee.Name}:{port.Name} {method} {path} should be denied with 403");
                    }
                }

                Assert.Equal(InboundVerdict.Forbidden, model.Decide(callee.Namespace, server, "mesh-verifier/" + callee.Namespace, "GET", "/"));
                if (!settings.IsProgressive(callee))
                {
                    // Flagger's load tester is one more caller only of progressive services.
                    Assert.Equal(InboundVerdict.Forbidden, model.Decide(callee.Namespace, server, "flagger-loadtester/flagger-system", "GET", "/"));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Kubelet_probes_reach_the_health_paths_and_nothing_else(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var objects = LinkerdStacks.Objects(variant);
        var model = new InboundPolicyModel(objects);
        foreach (var service in settings.Services.Where(s => s.Injected))
        {
            var server = model.ServerFor(service.Namespace, service.Name, service.Health.Port);
            Assert.True(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", service.Health.ReadinessPath));
            Assert.True(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", service.Health.LivenessPath));
            Assert.False(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", "/"));
            Assert.False(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "POST", service.Health.ReadinessPath));
            Assert.False(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", service.Health.LivenessPath + "/more"));

            // kubelet probes from the node's address, IPv4 or IPv6 (dual-stack clusters probe over either family).
            var networks = objects.Named("NetworkAuthentication", service.Namespace, "kubelet")["spec"]!["networks"].Items()
                .Select(n => System.Net.IPNetwork.Parse((string)n["cidr"]!)).ToList();
            Assert.Contains(networks, n => n.Contains(System.Net.IPAddress.Parse("10.0.3.17")));
            Assert.Contains(networks, n => n.Contains(System.Net.IPAddress.Parse("fd00:10:244::1")));
        }
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Every_service_port_has_a_denying_server_matching_its_protocol(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var servers = LinkerdStacks.Objects(variant).OfKind("Server").ToList();
        foreach (var service in settings.Services.Where(s => s.Injected))
        {
            foreach (var port in service.Ports)
            {
                var spec = servers.In(service.Namespace).Single(s =>
                    (string?)s["spec"]!["podSelector"]!["matchLabels"]?["app"] == service.Name && (string?)s["spec"]!["port"] == port.Name)["spec"]!;
                Assert.Equal("deny", (string?)spec["accessPolicy"]);
                Assert.Equal(port.Protocol switch
                {
                    PortProtocol.Http => "HTTP/1",
                    PortProtocol.Http2 => "HTTP/2",
                    PortProtocol.Grpc => "gRPC",
                    _ => "opaque",
                }, (string?)spec["proxyProtocol"]);
            }
        }
    }

    /// <summary>
    /// Every protocol gets the Server Linkerd needs to read it (HTTP/2 is not detected on an HTTP/1 Server; a TCP port is
    /// opaque), and the calls restricted to methods or paths reach the HTTP ports only: a TCP port cannot check them.
    /// </summary>
    [Fact]
    public void Http2_and_tcp_ports_get_servers_of_their_protocol_and_restricted_calls_reach_only_the_http_ports()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "        image: ghcr.io/acme/payments:1.9.4\n        replicas: 2\n        ports:\n",
            "        image: ghcr.io/acme/payments:1.9.4\n        replicas: 2\n        ports:\n"
            + "          - {name: h2, port: 8081, protocol: http2}\n          - {name: ledger, port: 7000, protocol: tcp}\n");
        var objects = Stacks.Objects(LinkerdStacks.Plan(files, LinkerdStacks.Dev));
        var model = new InboundPolicyModel(objects);

        Assert.Equal(("HTTP/2", "deny"), ServerProtocol(objects, "payments-h2"));
        Assert.Equal(("opaque", "deny"), ServerProtocol(objects, "payments-ledger"));
        Assert.True(model.Allows("payments", model.ServerFor("payments", "payments", "h2"), "orders/shop", "POST", "/payments/1"));
        Assert.False(model.Allows("payments", model.ServerFor("payments", "payments", "h2"), "orders/shop", "GET", "/payments/1"));
        // orders may only POST /payments: nothing it may send can be checked on the TCP port, so nobody is authorized there.
        Assert.False(model.Allows("payments", model.ServerFor("payments", "payments", "ledger"), "orders/shop", "POST", "/payments/1"));
        Assert.DoesNotContain(objects.OfKind("AuthorizationPolicy"), p => (string?)p["spec"]!["targetRef"]!["name"] == "payments-ledger");
    }

    /// <summary>
    /// Callers allowed the same requests share one route named after them; a list of callers too long for an object name
    /// (253 characters) is shortened to a stable, distinct, valid name, and one that fits keeps its readable name.
    /// </summary>
    [Fact]
    public void Routes_for_many_callers_keep_valid_distinct_names_and_still_authorize_each_caller()
    {
        var dev = LinkerdStacks.Settings(LinkerdStacks.Dev);
        var template = dev.Service("payments");
        // "orders-http-from-" and 7 callers of 23 characters and 3 of 22, dash-separated: 253 characters exactly.
        var fitting = Enumerable.Range(0, 10).Select(i => $"reporting-job-{i:D2}-xxxxx" + (i < 7 ? "x" : "")).ToList();
        var overflowing = Enumerable.Range(0, 10).Select(i => $"reporting-svc-{i:D2}-xxxxxxxx").ToList();
        ServiceSettings Caller(string name, string path) => template with
        {
            Name = name, Namespace = "reports", Public = null, Canary = null, Secrets = [], ExternalHosts = [],
            Calls = [new CallSettings("orders", ["GET"], [path])],
        };
        var settings = dev with
        {
            Services = [.. dev.Services, .. fitting.Select(n => Caller(n, "/reports/fitting")), .. overflowing.Select(n => Caller(n, "/reports/overflowing"))],
        };
        var objects = Stacks.Objects(MeshPlanner.Plan(settings));
        var model = new InboundPolicyModel(objects);
        var server = model.ServerFor("shop", "orders", "http");

        var names = objects.OfKind("HTTPRoute").In("shop").Select(r => r.Name()).ToList();
        Assert.Contains($"orders-http-from-{string.Join('-', fitting)}", names);
        Assert.Equal(253, $"orders-http-from-{string.Join('-', fitting)}".Length);
        Assert.DoesNotContain(names, n => n.Contains(overflowing[9], StringComparison.Ordinal));
        Assert.All(names, n => Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", n));
        Assert.All(names, n => Assert.InRange(n.Length, 1, 253));
        Assert.Equal(names.Count, names.Distinct().Count());

        Assert.All(fitting, c => Assert.True(model.Allows("shop", server, $"{c}/reports", "GET", "/reports/fitting")));
        Assert.All(overflowing, c => Assert.True(model.Allows("shop", server, $"{c}/reports", "GET", "/reports/overflowing")));
        Assert.All(overflowing, c => Assert.False(model.Allows("shop", server, $"{c}/reports", "GET", "/reports/fitting")));
    }

    private static (string?, string?) ServerProtocol(IEnumerable<System.Text.Json.Nodes.JsonObject> objects, string name)
    {
        var spec = objects.Named("Server", name)["spec"]!;
        return ((string?)spec["proxyProtocol"], (string?)spec["accessPolicy"]);
    }

    [Fact]
    public void A_grpc_port_admits_only_callers_whose_call_is_not_limited_to_http_methods_or_paths()
    {
        using var files = new StackFiles();
        // payments calls catalog without restrictions: it may use every port, including gRPC.
        files.Replace("Pulumi.yaml", "        externalHosts: [api.stripe.com]", "        externalHosts: [api.stripe.com]\n        calls: [catalog]");
        var objects = Stacks.Objects(LinkerdStacks.Plan(files, LinkerdStacks.Dev));
        var model = new InboundPolicyModel(objects);
        var grpc = model.ServerFor("shop", "catalog", "grpc");

        Assert.True(model.Allows("shop", grpc, "payments/payments", "POST", "/catalog.Catalog/Get"));
        Assert.False(model.Allows("shop", grpc, "orders/shop", "POST", "/catalog.Catalog/Get"));
        Assert.False(model.Allows("shop", grpc, "api-gateway/storefront", "POST", "/catalog.Catalog/Get"));
    }

    [Fact]
    public void Default_inbound_policy_follows_the_security_settings()
    {
        Assert.All(LinkerdStacks.Objects(LinkerdStacks.Dev).OfKind("Namespace").Where(IsApplicationNamespace),
            ns => Assert.Equal("all-authenticated", (string?)ns["metadata"]!["annotations"]!["config.linkerd.io/default-inbound-policy"]));
        Assert.All(LinkerdStacks.Objects(LinkerdStacks.Prod).OfKind("Namespace").Where(IsApplicationNamespace),
            ns => Assert.Equal("deny", (string?)ns["metadata"]!["annotations"]!["config.linkerd.io/default-inbound-policy"]));

        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "    mtls: STRICT\n", "    mtls: STRICT\n    namespaceMtls:\n      payments: PERMISSIVE\n");
        var permissive = Stacks.Objects(LinkerdStacks.Plan(files, LinkerdStacks.Dev));
        Assert.Equal("all-unauthenticated", (string?)permissive.Named("Namespace", "payments")["metadata"]!["annotations"]!["config.linkerd.io/default-inbound-policy"]);
        Assert.Equal("all-authenticated", (string?)permissive.Named("Namespace", "shop")["metadata"]!["annotations"]!["config.linkerd.io/default-inbound-policy"]);
    }

    private static bool IsApplicationNamespace(System.Text.Json.Nodes.JsonObject ns) =>
        LinkerdStacks.Settings(LinkerdStacks.Dev).Namespaces.Contains(ns.Name());

    private static string Identity(ServiceSettings service) => $"{service.ServiceAccount}/{service.Namespace}";

    private static IEnumerable<ServicePort> HttpPorts(ServiceSettings service) =>
        service.Ports.Where(p => p.Protocol is PortProtocol.Http or PortProtocol.Http2);

    /// <summary>Concrete requests a call declares: each method (all if none) on each path (a sample below a <c>/*</c> prefix).</summary>
    private static IEnumerable<(string Method, string Path)> Requests(CallSettings call) =>
        (call.Methods.IsEmpty ? AllMethods : [.. call.Methods]).SelectMany(method =>
            (call.Paths.IsEmpty ? ["/", "/any/thing"] : call.Paths.Select(p => p.EndsWith("/*", StringComparison.Ordinal) ? p[..^1] + "42" : p))
            .Select(path => (method, path)));

    private static bool Declares(CallSettings call, string method, string path) =>
        (call.Methods.IsEmpty || call.Methods.Contains(method))
        && (call.Paths.IsEmpty || call.Paths.Any(p => p.EndsWith("/*", StringComparison.Ordinal)
            ? path.StartsWith(p[..^1], StringComparison.Ordinal) || path == p[..^2]
            : path == p));
}
