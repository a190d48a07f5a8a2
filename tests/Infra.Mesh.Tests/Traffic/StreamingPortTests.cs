using System.Text.Json.Nodes;
using Infra.Mesh.Analysis;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Traffic;

/// <summary>
/// <c>ports[].streaming: true</c>: long-lived requests on that port are routed without a timeout and without retries,
/// on both meshes, while the service's other ports keep them. Judged on the rendered routes: for Istio, the route a
/// request to each port takes (the first whose match fits, as Envoy picks it).
/// </summary>
public sealed class StreamingPortTests : IDisposable
{
    private const string UnaryGrpc = "streaming: false    # unary calls only: the route timeout and retries apply (true: none, for streams)";

    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Istio_routes_a_streaming_grpc_port_without_timeout_or_retries_and_the_http_port_as_before()
    {
        _files.Replace("Pulumi.yaml", UnaryGrpc, "streaming: true");

        var routes = MeshRoutes(Objects("dev"), "catalog");

        var grpc = RouteFor(routes, port: 9090);
        Assert.Null(grpc["timeout"]);
        Assert.Equal(0, (int?)grpc["retries"]!["attempts"]);
        Assert.Null(grpc["retries"]!["retryOn"]);
        var http = RouteFor(routes, port: 8080);
        Assert.Equal("3s", (string?)http["timeout"]);
        Assert.True((int?)http["retries"]!["attempts"] > 0);
    }

    [Fact]
    public void Istio_keeps_the_canary_header_route_of_a_streaming_port_ahead_of_its_split()
    {
        _files.Replace("Pulumi.dev.yaml", "    orders:\n      canary:", "    orders:\n      ports: [{name: http, port: 8080, protocol: http, streaming: true}]\n      canary:");

        var routes = MeshRoutes(Objects("dev"), "orders");

        var header = RouteFor(routes, port: 8080, header: ("x-canary", "always"));
        Assert.Equal("canary", (string?)header["route"]!.AsArray().Single()!["destination"]!["subset"]);
        Assert.Null(header["timeout"]);
        var split = RouteFor(routes, port: 8080);
        Assert.Equal(["stable", "canary"], split["route"]!.AsArray().Select(d => (string)d!["destination"]!["subset"]!));
        Assert.Null(split["timeout"]);
        Assert.Equal(0, (int?)split["retries"]!["attempts"]);
    }

    [Fact]
    public void Istio_ingress_routes_of_a_streaming_public_port_have_no_timeout_or_retries()
    {
        _files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1\n",
            "    api-gateway:\n      replicas: 1\n      ports: [{name: http, port: 8080, protocol: http, streaming: true}]\n");

        var objects = Objects("dev");
        var ingress = objects.OfKind("VirtualService").Single(v => v.Name() == "api-gateway" && v.Namespace() != "storefront");

        Assert.All(ingress.Spec()["http"].Items(), route =>
        {
            Assert.Null(route["timeout"]);
            Assert.Equal(0, (int?)route["retries"]!["attempts"]);
        });
    }

    [Fact]
    public void Flagger_gets_no_timeout_and_no_retries_for_a_streaming_routed_port()
    {
        _files.Replace("Pulumi.dev-progressive.yaml", "  infra:serviceOverrides:\n",
            "  infra:serviceOverrides:\n    api-gateway:\n      ports: [{name: http, port: 8080, protocol: http, streaming: true}]\n");

        var canary = Objects("dev-progressive").Named("Canary", "storefront", "api-gateway").Spec()["service"]!;

        Assert.Null(canary["timeout"]);
        Assert.Equal(0, (int?)canary["retries"]!["attempts"]);
    }

    [Fact]
    public void Linkerd_routes_a_streaming_grpc_port_without_timeout_or_retry_annotations()
    {
        _files.Replace("Pulumi.yaml", UnaryGrpc, "streaming: true");

        var objects = Objects("dev-linkerd");

        var grpc = objects.Named("GRPCRoute", "shop", "catalog-grpc");
        var annotations = grpc["metadata"]!["annotations"]?.AsObject().Select(a => a.Key).ToList() ?? [];
        Assert.DoesNotContain(LinkerdTrafficPlanner.RequestTimeoutAnnotation, annotations);
        Assert.DoesNotContain(annotations, a => a.StartsWith("retry.linkerd.io/", StringComparison.Ordinal));
        var http = objects.Named("HTTPRoute", "shop", "catalog-http");
        Assert.All(http.Spec()["rules"].Items(), rule => Assert.Equal("3s", (string?)rule["timeouts"]!["request"]));
    }

    [Fact]
    public void Linkerd_routes_a_streaming_http_port_without_timeouts()
    {
        _files.Replace("Pulumi.dev-linkerd.yaml", "    orders:\n      canary:",
            "    orders:\n      ports: [{name: http, port: 8080, protocol: http, streaming: true}]\n      canary:");

        var route = Objects("dev-linkerd").Named("HTTPRoute", "shop", "orders-http");

        Assert.All(route.Spec()["rules"].Items(), rule => Assert.Null(rule["timeouts"]));
        Assert.DoesNotContain(route["metadata"]!["annotations"]?.AsObject().Select(a => a.Key) ?? [], a => a.StartsWith("retry.linkerd.io/", StringComparison.Ordinal));
    }

    [Fact]
    public void A_grpc_port_that_does_not_declare_streaming_under_a_route_timeout_is_INFRA181_at_the_port()
    {
        _files.Replace("Pulumi.yaml", "\n            " + UnaryGrpc, "");

        var warning = Assert.Single(_files.Analyze("dev").Warnings, w => w.Rule == RuleCatalog.UndeclaredStreaming);

        Assert.Equal("infra:services[catalog].ports[grpc]", warning.Key);
        Assert.NotNull(warning.Line);
        Assert.Contains("3s", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Streaming_on_a_tcp_port_is_a_settings_error_naming_the_key()
    {
        _files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1\n",
            "    api-gateway:\n      replicas: 1\n      ports: [{name: http, port: 8080, protocol: http}, {name: raw, port: 9000, protocol: tcp, streaming: true}]\n");

        var error = Assert.Throws<SettingsException>(() => _files.Analyze("dev"));

        var finding = Assert.Single(error.Errors);
        Assert.Equal("infra:serviceOverrides.api-gateway.ports[raw].streaming", finding.Key);
        Assert.Contains("tcp", finding.Message, StringComparison.Ordinal);
    }

    private IReadOnlyList<JsonObject> Objects(string stack) => Stacks.Objects(_files.Analyze(stack).Plan);

    private static List<JsonObject> MeshRoutes(IReadOnlyList<JsonObject> objects, string service) =>
        [.. objects.OfKind("VirtualService").Single(v => v.Name() == service && (string?)v.Spec()["hosts"]![0] is { } host && host.StartsWith(service + ".", StringComparison.Ordinal))
            .Spec()["http"].Items()];

    /// <summary>The first route whose match fits a request to <paramref name="port"/> (with the header, or none).</summary>
    private static JsonObject RouteFor(List<JsonObject> routes, int port, (string Name, string Value)? header = null) =>
        routes.First(route => route["match"] is not JsonArray matches || matches.Items().Any(m =>
            ((int?)m["port"] is null || (int?)m["port"] == port)
            && (m["headers"] is not JsonObject headers || (header is { } h && headers.Count == 1 && (string?)headers[h.Name]?["exact"] == h.Value))));
}
