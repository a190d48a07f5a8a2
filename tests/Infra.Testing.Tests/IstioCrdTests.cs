using System.Text.Json.Nodes;
using Xunit;

namespace Infra.Testing.Tests;

public class IstioCrdTests
{
    private const string WeightedVirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: orders
          namespace: default
        spec:
          hosts: [orders]
          http:
          - route:
            - destination: {host: orders, subset: stable}
              weight: 90
            - destination: {host: orders, subset: canary}
              weight: 10
        """;

    private static readonly CrdSchemaCatalog Catalog = CrdSchemaCatalog.Istio();

    [Fact]
    public void WeightedVirtualServiceIsValid()
    {
        Assert.Empty(Catalog.Validate(Yaml.Parse(WeightedVirtualService)));
    }

    [Fact]
    public void MisspeltFieldIsReportedAsUnknownWithItsPath()
    {
        var virtualService = Yaml.Object(WeightedVirtualService);
        virtualService["spec"]!["http"]![0]!["wieght"] = 10;

        Assert.Equal(["VirtualService default/orders: spec.http[0].wieght: unknown field"], Catalog.Validate(virtualService));
    }

    [Fact]
    public void WrongTypeIsReported()
    {
        var virtualService = Yaml.Object(WeightedVirtualService);
        virtualService["spec"]!["http"]![0]!["route"]![0]!["weight"] = "90";

        Assert.Equal(
            ["VirtualService default/orders: spec.http[0].route[0].weight: expected integer, got string"],
            Catalog.Validate(virtualService));
    }

    [Fact]
    public void EnumViolationIsReported()
    {
        var peerAuthentication = Yaml.Parse("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec:
              mtls: {mode: STRICTISH}
            """);

        var error = Assert.Single(Catalog.Validate(peerAuthentication));
        Assert.StartsWith("PeerAuthentication istio-system/default: spec.mtls.mode: \"STRICTISH\" is not one of [", error, StringComparison.Ordinal);
    }

    [Fact]
    public void StrictPeerAuthenticationIsValid()
    {
        Assert.Empty(Catalog.Validate(Yaml.Parse("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec:
              mtls: {mode: STRICT}
            """)));
    }

    [Theory]
    [InlineData("{simple: ROUND_ROBIN}")]
    [InlineData("{consistentHash: {httpHeaderName: x-user}}")]
    public void LoadBalancerMaySetOneOfItsAlternatives(string loadBalancer)
    {
        Assert.Empty(Catalog.Validate(DestinationRule(loadBalancer)));
    }

    [Fact]
    public void LoadBalancerAlternativesAreMutuallyExclusive()
    {
        var errors = Catalog.Validate(DestinationRule("{simple: ROUND_ROBIN, consistentHash: {httpHeaderName: x-user}}"));

        Assert.Equal(
            ["DestinationRule default/orders: spec.trafficPolicy.loadBalancer: matches 2 of the 3 oneOf alternatives, expected exactly one"],
            errors);
    }

    [Fact]
    public void ServedVersionsAreKnownAndOtherKindsAreNot()
    {
        Assert.True(Catalog.Knows("networking.istio.io/v1", "VirtualService"));
        Assert.True(Catalog.Knows("networking.istio.io/v1beta1", "VirtualService"));
        Assert.False(Catalog.Knows("networking.istio.io/v2", "VirtualService"));
        Assert.False(Catalog.Knows("apps/v1", "Deployment"));
    }

    [Fact]
    public void UnknownKindIsAnError()
    {
        var errors = Catalog.Validate(Yaml.Parse("""
            apiVersion: networking.istio.io/v1
            kind: VirtualServise
            metadata: {name: orders, namespace: default}
            spec: {}
            """));

        Assert.Equal(["VirtualServise default/orders: no CRD defines kind 'VirtualServise' in group 'networking.istio.io' (apiVersion 'networking.istio.io/v1')"], errors);
    }

    private static JsonNode DestinationRule(string loadBalancer) => Yaml.Parse($$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: orders, namespace: default}
        spec:
          host: orders
          trafficPolicy:
            loadBalancer: {{loadBalancer}}
        """);
}
