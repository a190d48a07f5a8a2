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
                    foreach (var (method, path) in requests.Where(r => !allowedCalls.Any(c => Declares(c, r.Method, r.Path))))
                    {
                        Assert.False(model.Allows(callee.Namespace, server, Identity(client), method, path),
                            $"{client.Name} -> {callee.Name}:{port.Name} {method} {path} should be denied");
                    }
                }

                Assert.False(model.Allows(callee.Namespace, server, "mesh-verifier/" + callee.Namespace, "GET", "/"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Kubelet_probes_reach_the_health_paths_and_nothing_else(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var model = new InboundPolicyModel(LinkerdStacks.Objects(variant));
        foreach (var service in settings.Services.Where(s => s.Injected))
        {
            var server = model.ServerFor(service.Namespace, service.Name, service.Health.Port);
            Assert.True(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", service.Health.ReadinessPath));
            Assert.True(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", service.Health.LivenessPath));
            Assert.False(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", "/"));
            Assert.False(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "POST", service.Health.ReadinessPath));
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
