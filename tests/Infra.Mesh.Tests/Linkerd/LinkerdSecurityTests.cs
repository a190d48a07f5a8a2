using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
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

    public static TheoryData<bool> VerificationOnAndOff => new(true, false);

    /// <summary>
    /// Each declared caller may send exactly what it declared and, with verification on, <c>GET</c> of the verification
    /// path (that one exact path: not below it, not another method); with verification off not even that. Every other
    /// request is answered 403. Callers restricted to methods and paths (api-gateway, orders) show the difference.
    /// </summary>
    [Theory]
    [MemberData(nameof(VerificationOnAndOff))]
    public void Declared_callers_may_send_their_calls_and_the_verification_get_only_while_verification_is_on(bool verification)
    {
        using var files = new StackFiles();
        if (!verification)
        {
            files.Replace("Pulumi.dev-linkerd.yaml", "  infra:linkerd:\n", "  infra:verification:\n    enabled: false\n  infra:linkerd:\n");
        }

        var settings = LinkerdStacks.Load(files, LinkerdStacks.Dev);
        Assert.Equal(verification, settings.Verification.Enabled);
        var verificationPath = settings.Verification.Path;
        var graph = CallGraph.Of(settings);
        var model = new InboundPolicyModel(Stacks.Objects(MeshPlanner.Plan(settings)));
        Assert.Contains(graph.Edges, e => !e.Call.Paths.IsEmpty && !e.Call.Methods.Contains("GET"));
        foreach (var callee in settings.Services.Where(s => s.Injected))
        {
            var declared = graph.Into(callee).ToList();
            string[] paths = ["/", "/undeclared", verificationPath, verificationPath + "/more", .. declared.SelectMany(e => Requests(e.Call)).Select(r => r.Path)];
            foreach (var port in HttpPorts(callee))
            {
                var server = model.ServerFor(callee.Namespace, callee.Name, port.Name);
                foreach (var client in settings.Services.Where(s => s.Name != callee.Name))
                {
                    var calls = declared.Where(e => e.Caller.Name == client.Name).Select(e => e.Call).ToList();
                    foreach (var (method, path) in paths.Distinct(StringComparer.Ordinal).SelectMany(p => AllMethods.Select(m => (m, p))))
                    {
                        var expected = calls.Any(c => Declares(c, method, path))
                            || (verification && calls.Count > 0 && method == "GET" && path == verificationPath);
                        Assert.True(model.Decide(callee.Namespace, server, Identity(client), method, path) == (expected ? InboundVerdict.Allowed : InboundVerdict.Forbidden),
                            $"{client.Name} -> {callee.Name}:{port.Name} {method} {path} should be {(expected ? "allowed" : "denied with 403")}");
                    }
                }
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
        // Nothing half-made for it either: Linkerd's CRDs refuse, e.g., a MeshTLSAuthentication without identities.
        var crds = Infra.Testing.CrdSchemaCatalog.Linkerd();
        Assert.Empty(objects.Where(o => crds.Knows((string)o["apiVersion"]!, (string)o["kind"]!)).SelectMany(crds.Validate));
    }

    /// <summary>
    /// Callers allowed the same requests share one route; its name (and its policy's) says whom it is for without
    /// listing them: <c>&lt;server&gt;-from-&lt;caller&gt;</c> for one caller, <c>&lt;server&gt;-from-&lt;n&gt;-callers-&lt;digest&gt;</c>
    /// for more, so a service with dozens of callers has names as short as one with two.
    /// </summary>
    [Fact]
    public void Routes_for_many_callers_have_short_distinct_names_without_caller_lists_and_still_authorize_each_caller()
    {
        var dev = LinkerdStacks.Settings(LinkerdStacks.Dev);
        var template = dev.Service("payments");
        var few = Enumerable.Range(0, 3).Select(i => $"reporting-job-{i:D2}").ToList();
        var many = Enumerable.Range(0, 40).Select(i => $"reporting-service-with-a-long-name-{i:D2}").ToList();
        ServiceSettings Caller(string name, string path) => template with
        {
            Name = name, Namespace = "reports", Public = null, Canary = null, Secrets = [], ExternalHosts = [],
            Calls = [new CallSettings("orders", ["GET"], [path])],
        };
        var settings = dev with
        {
            Services = [.. dev.Services, .. few.Select(n => Caller(n, "/reports/few")), .. many.Select(n => Caller(n, "/reports/many"))],
        };
        var objects = Stacks.Objects(MeshPlanner.Plan(settings));
        var model = new InboundPolicyModel(objects);
        var server = model.ServerFor("shop", "orders", "http");

        var names = objects.Where(o => (string?)o["kind"] is "HTTPRoute" or "AuthorizationPolicy" or "MeshTLSAuthentication").In("shop")
            .Select(o => o.Name()).ToList();
        Assert.Contains("orders-http-from-api-gateway", names);
        Assert.Contains(names, n => Regex.IsMatch(n, "^orders-http-from-3-callers-[0-9a-f]{8}$"));
        Assert.Contains(names, n => Regex.IsMatch(n, "^orders-http-from-40-callers-[0-9a-f]{8}$"));
        Assert.Contains(names, n => Regex.IsMatch(n, "^orders-from-40-callers-[0-9a-f]{8}$"));
        Assert.All(names, n => Assert.DoesNotContain("reporting", n, StringComparison.Ordinal));
        Assert.All(names, n => Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", n));
        Assert.All(names, n => Assert.InRange(n.Length, 1, 63));
        Assert.All(objects.GroupBy(o => ((string?)o["kind"], o.Namespace(), o.Name())), g => Assert.Single(g));

        Assert.All(few, c => Assert.True(model.Allows("shop", server, $"{c}/reports", "GET", "/reports/few")));
        Assert.All(many, c => Assert.True(model.Allows("shop", server, $"{c}/reports", "GET", "/reports/many")));
        Assert.All(many, c => Assert.False(model.Allows("shop", server, $"{c}/reports", "GET", "/reports/few")));
    }

    /// <summary>
    /// The ports of a service mostly admit the same callers (every declared call reaches every HTTP port): each set of
    /// callers is authenticated by one MeshTLSAuthentication of the service, which the policies of all its ports share.
    /// </summary>
    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Each_set_of_callers_has_one_mesh_tls_authentication_per_service(string variant) =>
        AssertOneAuthenticationPerCallerSet(LinkerdStacks.Objects(variant));

    [Fact]
    public void The_ports_of_a_service_share_the_mesh_tls_authentication_of_a_set_of_callers()
    {
        // Every synthetic service has two HTTP ports (http, metrics) that its callers reach alike.
        var objects = Stacks.Objects(MeshPlanner.Plan(StackSettingsLoader.Load(SyntheticCatalog.Create(60, MeshKind.Linkerd))));
        var references = AssertOneAuthenticationPerCallerSet(objects);

        var shared = references.GroupBy(r => (r.Namespace, r.Authentication)).Where(g => g.Select(r => r.Target).Distinct().Count() > 1).ToList();
        Assert.NotEmpty(shared);
        Assert.Contains(shared, g => g.Any(r => r.Target.Contains("-http-", StringComparison.Ordinal)) && g.Any(r => r.Target.Contains("-metrics-", StringComparison.Ordinal)));
    }

    /// <summary>No two MeshTLSAuthentications of a service name the same identities, and every policy's reference resolves.</summary>
    private static List<(string? Namespace, string Authentication, string Target)> AssertOneAuthenticationPerCallerSet(IReadOnlyList<JsonObject> objects)
    {
        var authentications = objects.OfKind("MeshTLSAuthentication").ToList();
        Assert.NotEmpty(authentications);
        var sets = authentications.Select(a => (a.Namespace(), (string?)a["metadata"]!["labels"]!["app"],
            string.Join(' ', a["spec"]!["identityRefs"]!.AsArray().Select(r => $"{r!["namespace"]}/{r["name"]}").Order(StringComparer.Ordinal))));
        Assert.All(sets.GroupBy(s => s), g => Assert.Single(g));

        var references = objects.OfKind("AuthorizationPolicy")
            .SelectMany(p => p["spec"]!["requiredAuthenticationRefs"]!.AsArray()
                .Where(r => (string?)r!["kind"] == "MeshTLSAuthentication")
                .Select(r => (p.Namespace(), (string)r!["name"]!, (string)p["spec"]!["targetRef"]!["name"]!)))
            .ToList();
        Assert.All(references, r => Assert.Contains(authentications, a => a.Namespace() == r.Item1 && a.Name() == r.Item2));
        return references;
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
