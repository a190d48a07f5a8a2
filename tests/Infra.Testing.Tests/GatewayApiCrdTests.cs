using System.Text.Json.Nodes;
using Xunit;

namespace Infra.Testing.Tests;

public class GatewayApiCrdTests
{
    private static readonly CrdSchemaCatalog Catalog = CrdSchemaCatalog.GatewayApi();

    [Fact]
    public void HttpRouteWithWeightedBackendRefsIsValid()
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

        Assert.Empty(Catalog.Validate(route));
    }

    [Fact]
    public void HttpRouteWeightBoundsAreChecked()
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
            Catalog.Validate(route));
    }

    [Fact]
    public void CatalogSkipsTheValidatingAdmissionPolicy()
    {
                Assert.True(Catalog.Knows("gateway.networking.k8s.io/v1", "Gateway"));
        Assert.True(Catalog.Knows("gateway.networking.k8s.io/v1", "GRPCRoute"));
        Assert.False(Catalog.Knows("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"));
    }

    [Theory]
    [InlineData("{value: 10.0.0.1}")]
    [InlineData("{value: \"fd00::1\"}")]
    [InlineData("{type: Hostname, value: gw.example.com}")]
    public void GatewayAddressTypeDefaultsToIpAddress(string address)
    {
        Assert.Empty(Catalog.Validate(Gateway(address)));
    }

    [Fact]
    public void GatewayAddressMustBeAnIpWhenTheDefaultTypeApplies()
    {
        var gateway = Gateway("{value: not-an-ip}");

        Assert.Equal(
            ["Gateway shop/mesh: spec.addresses[0]: matches 0 of the 2 oneOf alternatives, expected exactly one"],
            Catalog.Validate(gateway));
        Assert.False(gateway["spec"]!["addresses"]![0]!.AsObject().ContainsKey("type"));
    }

    private static JsonObject Gateway(string address) => Yaml.Object($$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: mesh, namespace: shop}
        spec:
          gatewayClassName: istio
          addresses: [{{address}}]
          listeners: [{name: http, port: 80, protocol: HTTP}]
        """);
}
