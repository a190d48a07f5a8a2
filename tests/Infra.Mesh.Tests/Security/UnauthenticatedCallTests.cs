using System.Text.Json.Nodes;
using Infra.Mesh.Analysis;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Tests.Linkerd;
using Infra.Mesh.Tests.Properties;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Security;

/// <summary>
/// <c>calls[].unauthenticated: true</c>: an uninjected caller's one call opened to plain text. Judged on the rendered
/// objects by the same evaluation models the property tests use (Istio AuthorizationPolicy, Linkerd inbound policy).
/// </summary>
public sealed class UnauthenticatedCallTests : IDisposable
{
    private const string CallKey = "infra:services[legacy-batch].calls[0]";

    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Without_the_setting_an_uninjected_caller_into_a_meshed_callee_is_INFRA101_naming_the_call()
    {
        AddLegacyCaller("{service: orders, methods: [GET], paths: [/orders/*]}");

        var error = Assert.Throws<SettingsException>(() => Load("dev"));

        var finding = Assert.Single(error.Errors);
        Assert.Equal(CallKey, finding.Key);
        Assert.StartsWith("INFRA101:", finding.Message, StringComparison.Ordinal);
        Assert.Contains("unauthenticated: true", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Istio_admits_exactly_the_opened_requests_in_plain_text_and_no_identity_it_did_not_name()
    {
        AddLegacyCaller("{service: orders, methods: [GET], paths: [/orders/*], unauthenticated: true}");
        _files.Replace("Pulumi.dev.yaml", "mtls: PERMISSIVE", "mtls: STRICT");

        var analysis = Load("dev");
        var model = new IstioAuthorizationModel(Objects(analysis.Plan), IstioSettings.SystemNamespace);
        bool Allows(string? principal, string method, string path) =>
            model.Allows("shop", new Dictionary<string, string> { ["app"] = "orders" }, principal, method, path, 8080);

        Assert.True(Allows(null, "GET", "/orders/42"));
        Assert.False(Allows(null, "POST", "/orders/42"));
        Assert.False(Allows(null, "GET", "/admin"));
        // notPrincipals ["*"] matches only the absence of an identity: a meshed pod nobody declared stays denied.
        Assert.False(Allows("cluster.local/ns/batch/sa/stranger", "GET", "/orders/42"));
        // The declared meshed caller keeps its own rule.
        Assert.True(Allows("cluster.local/ns/storefront/sa/api-gateway", "POST", "/orders"));
        var warning = Assert.Single(analysis.Warnings, w => w.Rule == RuleCatalog.UnauthenticatedCall);
        Assert.Equal(CallKey + ".unauthenticated", warning.Key);
        Assert.NotNull(warning.Line);
    }

    [Fact]
    public void Istio_under_strict_mtls_makes_only_the_opened_ports_of_the_callee_permissive()
    {
        AddLegacyCaller("{service: catalog, methods: [GET], unauthenticated: true}");
        _files.Replace("Pulumi.dev.yaml", "mtls: PERMISSIVE", "mtls: STRICT");

        var peer = Objects(Load("dev").Plan).Named("PeerAuthentication", "shop", "catalog").Spec();

        Assert.Null(peer["mtls"]);
        Assert.Equal("catalog", (string?)peer["selector"]!["matchLabels"]!["app"]);
        var ports = peer["portLevelMtls"]!.AsObject();
        // catalog's HTTP port (8080) and gRPC port (9090) carry HTTP requests; a method-restricted call never matches TCP.
        Assert.Equal(["8080", "9090"], ports.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.All(ports, p => Assert.Equal("PERMISSIVE", (string?)p.Value!["mode"]));
    }

    /// <summary>A call restricted to methods or paths is HTTP only: its TCP ports stay STRICT; an unrestricted one opens every port.</summary>
    [Theory]
    [InlineData("{service: catalog, methods: [GET], unauthenticated: true}", new[] { "8080", "9090" })]
    [InlineData("{service: catalog, unauthenticated: true}", new[] { "7000", "8080", "9090" })]
    public void Istio_opens_a_tcp_port_to_plain_text_only_for_a_call_not_restricted_to_http_requests(string call, string[] ports)
    {
        _files.Replace("Pulumi.yaml", "        image: ghcr.io/acme/catalog:3.2.1\n        replicas: 2\n        ports:\n",
            "        image: ghcr.io/acme/catalog:3.2.1\n        replicas: 2\n        ports:\n          - {name: ledger, port: 7000, protocol: tcp}\n");
        AddLegacyCaller(call);
        _files.Replace("Pulumi.dev.yaml", "mtls: PERMISSIVE", "mtls: STRICT");

        var peer = Objects(Load("dev").Plan).Named("PeerAuthentication", "shop", "catalog").Spec();

        Assert.Equal(ports, peer["portLevelMtls"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// In ambient, plain text from outside the mesh reaches the pod past any waypoint, so ztunnel's policy carries the
    /// opened call at L4: a call restricted to HTTP methods or paths only on the HTTP ports (nothing on a TCP port can
    /// be checked against them), an unrestricted call on every port.
    /// </summary>
    [Theory]
    [InlineData("{service: catalog, methods: [GET], unauthenticated: true}", false)]
    [InlineData("{service: catalog, paths: [/products/*], unauthenticated: true}", false)]
    [InlineData("{service: catalog, unauthenticated: true}", true)]
    public void Ambient_opens_a_tcp_port_to_plain_text_only_for_a_call_not_restricted_to_http_requests(string call, bool tcpOpened)
    {
        _files.Replace("Pulumi.yaml", "        image: ghcr.io/acme/catalog:3.2.1\n        replicas: 2\n        ports:\n",
            "        image: ghcr.io/acme/catalog:3.2.1\n        replicas: 2\n        ports:\n          - {name: ledger, port: 7000, protocol: tcp}\n");
        AddLegacyCaller(call);

        var objects = Objects(Load("dev-ambient").Plan);
        var model = new Istio.Ambient.AmbientPolicyModel(objects);

        // catalog's Service goes through a waypoint: the opened call's ports are ztunnel's to check.
        Assert.NotNull(model.WaypointOf(objects.Named("Service", "shop", "catalog")));
        Assert.Equal(Istio.Ambient.Verdict.Allowed, model.Decide(null, "shop", "catalog", 8080, "GET", "/products/1"));
        Assert.Equal(Istio.Ambient.Verdict.Allowed, model.Decide(null, "shop", "catalog", 9090, "GET", "/products/1"));
        Assert.Equal(tcpOpened ? Istio.Ambient.Verdict.Allowed : Istio.Ambient.Verdict.Refused, model.Decide(null, "shop", "catalog", 7000, "GET", "/"));
        // Plain text is all the opened call admits: a meshed identity nobody declared stays refused on every port.
        Assert.Equal(Istio.Ambient.Verdict.Refused, model.Decide("cluster.local/ns/batch/sa/stranger", "shop", "catalog", 7000, "GET", "/", viaService: false));
    }

    /// <summary>Linkerd admits opened plain text by the client's address: pods of either family (dual-stack clusters) must match.</summary>
    [Fact]
    public void Linkerd_admits_opened_plain_text_from_ipv4_and_ipv6_pods()
    {
        AddLegacyCaller("{service: orders, methods: [GET], paths: [/orders/*], unauthenticated: true}");

        var networks = Objects(Load("dev-linkerd").Plan).Named("NetworkAuthentication", "shop", "unauthenticated")["spec"]!["networks"].Items()
            .Select(n => System.Net.IPNetwork.Parse((string)n["cidr"]!)).ToList();

        Assert.Contains(networks, n => n.Contains(System.Net.IPAddress.Parse("10.244.1.7")));
        Assert.Contains(networks, n => n.Contains(System.Net.IPAddress.Parse("fd00:10:244::7")));
    }

    [Fact]
    public void Istio_under_permissive_mtls_needs_no_port_level_exception()
    {
        AddLegacyCaller("{service: orders, unauthenticated: true}");

        var objects = Objects(Load("dev").Plan);

        Assert.DoesNotContain(objects.OfKind("PeerAuthentication"), p => p.Name() == "orders");
        var model = new IstioAuthorizationModel(objects, IstioSettings.SystemNamespace);
        Assert.True(model.Allows("shop", new Dictionary<string, string> { ["app"] = "orders" }, null, "DELETE", "/anything", 8080));
    }

    [Fact]
    public void Linkerd_authorizes_the_opened_route_by_network_and_keeps_other_routes_to_identities()
    {
        AddLegacyCaller("{service: orders, methods: [GET], paths: [/orders/*], unauthenticated: true}");

        var objects = Objects(Load("dev-linkerd").Plan);
        var model = new InboundPolicyModel(objects);
        var server = model.ServerFor("shop", "orders", "http");

        Assert.NotNull(objects.Named("NetworkAuthentication", "shop", LinkerdSecurityPlanner.UnauthenticatedAuthentication));
        Assert.True(model.Allows("shop", server, InboundPolicyModel.Unauthenticated, "GET", "/orders/42"));
        Assert.False(model.Allows("shop", server, InboundPolicyModel.Unauthenticated, "POST", "/orders"));
        Assert.False(model.Allows("shop", server, InboundPolicyModel.Unauthenticated, "GET", "/admin"));
        Assert.True(model.Allows("shop", server, "api-gateway/storefront", "POST", "/orders"));
        // The uninjected caller's service account is never named as an mTLS identity: it has none.
        Assert.DoesNotContain(objects.OfKind("MeshTLSAuthentication"), m => m.Spec()["identityRefs"].Items().Any(i => (string?)i["name"] == "legacy-batch"));
    }

    [Fact]
    public void Prod_refuses_an_opened_call_naming_the_key()
    {
        AddLegacyCaller("{service: orders, methods: [GET], unauthenticated: true}");

        var error = Assert.Throws<SettingsException>(() => Load("prod"));

        var finding = Assert.Single(error.Errors, e => e.Message.StartsWith("INFRA105:", StringComparison.Ordinal));
        Assert.Equal(CallKey + ".unauthenticated", finding.Key);
        Assert.Contains("STRICT", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_meshed_caller_cannot_open_a_call_to_plain_text()
    {
        AddLegacyCaller("{service: orders, unauthenticated: true}", injected: true);

        var error = Assert.Throws<SettingsException>(() => Load("dev"));

        var finding = Assert.Single(error.Errors);
        Assert.Equal(CallKey + ".unauthenticated", finding.Key);
        Assert.Contains("inject: false", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev", new[] { "INFRA105", "INFRA204", "INFRA205" })]
    [InlineData("dev-linkerd", new[] { "INFRA105", "INFRA205" })]
    public void The_security_audit_lists_the_opened_call(string stack, string[] codes)
    {
        AddLegacyCaller("{service: orders, methods: [GET], unauthenticated: true}");
        _files.Replace("Pulumi.dev.yaml", "mtls: PERMISSIVE", "mtls: STRICT");

        var findings = StackAnalyzer.Analyze(ProjectConfigFiles.Load(_files.Directory, stack), audit: true).Findings;

        Assert.All(codes, code => Assert.Contains(findings, f => f.Rule.Code == code
            && (f.Key == CallKey + ".unauthenticated" || f.Message.Contains("unauthenticated: true", StringComparison.Ordinal))));
    }

    private void AddLegacyCaller(string call, bool injected = false) => _files.Replace("Pulumi.yaml", "    value:\n", $"""
            value:
              - name: legacy-batch
                namespace: batch
                image: ghcr.io/acme/legacy-batch:3.1.0
                inject: {(injected ? "true" : "false")}
                ports: [{"{"}name: http, port: 8080, protocol: http{"}"}]
                calls:
                  - {call}

        """);

    private StackAnalysis Load(string stack) => _files.Analyze(stack);

    private static IReadOnlyList<JsonObject> Objects(MeshPlan plan) => Stacks.Objects(plan);
}
