using Infra.Testing;
using Xunit;

namespace Infra.Testing.Tests;

public class LinkerdAndGatewayApiCrdTests
{
    private const string Server = """
        apiVersion: policy.linkerd.io/v1beta3
        kind: Server
        metadata: {name: orders-http, namespace: shop}
        spec:
          podSelector:
            matchLabels: {app: orders}
          port: http
          proxyProtocol: HTTP/1
        """;

    [Fact]
    public void Linkerd_server_is_valid_with_a_named_port()
    {
        Assert.Empty(CrdSchemaCatalog.Linkerd().Validate(Yaml.Parse(Server)));
    }

    [Fact]
    public void Linkerd_server_port_is_int_or_string()
    {
        var numbered = Yaml.Object(Server);
        numbered["spec"]!["port"] = 8080;
        var boolean = Yaml.Object(Server);
        boolean["spec"]!["port"] = true;

        Assert.Empty(CrdSchemaCatalog.Linkerd().Validate(numbered));
        Assert.Equal(["Server shop/orders-http: spec.port: expected integer or string, got boolean"], CrdSchemaCatalog.Linkerd().Validate(boolean));
    }

    [Fact]
    public void Linkerd_server_needs_exactly_one_selector()
    {
        var server = Yaml.Object(Server);
        server["spec"]!["externalWorkloadSelector"] = Yaml.Parse("matchLabels: {app: orders}");

        Assert.Equal(
            ["Server shop/orders-http: spec: matches 2 of the 2 oneOf alternatives, expected exactly one"],
            CrdSchemaCatalog.Linkerd().Validate(server));
    }

    [Fact]
    public void Linkerd_server_versions_follow_the_crd()
    {
        var linkerd = CrdSchemaCatalog.Linkerd();

        Assert.True(linkerd.Knows("policy.linkerd.io/v1beta3", "Server"));
        Assert.True(linkerd.Knows("policy.linkerd.io/v1beta1", "Server"));
        Assert.False(linkerd.Knows("policy.linkerd.io/v1", "Server"));
        var error = Assert.Single(linkerd.Validate(Yaml.Parse(Server.Replace("v1beta3", "v1", StringComparison.Ordinal))));
        Assert.Equal("Server shop/orders-http: Server.policy.linkerd.io has no served version 'v1' (served: v1alpha1, v1beta1, v1beta2, v1beta3)", error);
    }

    [Fact]
    public void Linkerd_server_rejects_unknown_fields()
    {
        var server = Yaml.Object(Server);
        server["spec"]!["proxyProtocl"] = "opaque";

        Assert.Equal(["Server shop/orders-http: spec.proxyProtocl: unknown field"], CrdSchemaCatalog.Linkerd().Validate(server));
    }

    [Fact]
    public void Gateway_api_http_route_with_weighted_backend_refs_is_valid()
    {
        var route = Yaml.Parse("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: orders, namespace: shop}
            spec:
              parentRefs:
              - group: ""
                kind: Service
                name: orders
                port: 8080
              rules:
              - backendRefs:
                - {name: orders-stable, port: 8080, weight: 90}
                - {name: orders-canary, port: 8080, weight: 10}
            """);

        Assert.Empty(CrdSchemaCatalog.GatewayApi().Validate(route));
    }

    [Fact]
    public void Gateway_api_http_route_weight_bounds_are_checked()
    {
        var route = Yaml.Parse("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: orders, namespace: shop}
            spec:
              rules:
              - backendRefs:
                - {name: orders-stable, port: 8080, weight: -1}
            """);

        Assert.Equal(
            ["HTTPRoute shop/orders: spec.rules[0].backendRefs[0].weight: -1 is below the minimum 0"],
            CrdSchemaCatalog.GatewayApi().Validate(route));
    }

    [Fact]
    public void Gateway_api_catalog_skips_the_validating_admission_policy()
    {
        var gatewayApi = CrdSchemaCatalog.GatewayApi();

        Assert.True(gatewayApi.Knows("gateway.networking.k8s.io/v1", "Gateway"));
        Assert.True(gatewayApi.Knows("gateway.networking.k8s.io/v1", "GRPCRoute"));
        Assert.False(gatewayApi.Knows("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"));
    }
}
