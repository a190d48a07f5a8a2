using Xunit;

namespace Infra.Testing.Tests;

public class LinkerdCrdTests
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
    public void ServerIsValidWithANamedPort()
    {
        Assert.Empty(CrdSchemaCatalog.Linkerd().Validate(Yaml.Parse(Server)));
    }

    [Fact]
    public void ServerPortIsIntOrString()
    {
        var numbered = Yaml.Object(Server);
        numbered["spec"]!["port"] = 8080;
        var boolean = Yaml.Object(Server);
        boolean["spec"]!["port"] = true;

        Assert.Empty(CrdSchemaCatalog.Linkerd().Validate(numbered));
        Assert.Equal(["Server shop/orders-http: spec.port: expected integer or string, got boolean"], CrdSchemaCatalog.Linkerd().Validate(boolean));
    }

    [Fact]
    public void ServerNeedsExactlyOneSelector()
    {
        var server = Yaml.Object(Server);
        server["spec"]!["externalWorkloadSelector"] = Yaml.Parse("matchLabels: {app: orders}");

        Assert.Equal(
            ["Server shop/orders-http: spec: matches 2 of the 2 oneOf alternatives, expected exactly one"],
            CrdSchemaCatalog.Linkerd().Validate(server));
    }

    [Fact]
    public void ServerVersionsFollowTheCrd()
    {
        var linkerd = CrdSchemaCatalog.Linkerd();

        Assert.True(linkerd.Knows("policy.linkerd.io/v1beta3", "Server"));
        Assert.True(linkerd.Knows("policy.linkerd.io/v1beta1", "Server"));
        Assert.False(linkerd.Knows("policy.linkerd.io/v1", "Server"));
        var error = Assert.Single(linkerd.Validate(Yaml.Parse(Server.Replace("v1beta3", "v1", StringComparison.Ordinal))));
        Assert.Equal("Server shop/orders-http: Server.policy.linkerd.io has no served version 'v1' (served: v1alpha1, v1beta1, v1beta2, v1beta3)", error);
    }

    [Fact]
    public void ServerRejectsUnknownFields()
    {
        var server = Yaml.Object(Server);
        server["spec"]!["proxyProtocl"] = "opaque";

        Assert.Equal(["Server shop/orders-http: spec.proxyProtocl: unknown field"], CrdSchemaCatalog.Linkerd().Validate(server));
    }
}
