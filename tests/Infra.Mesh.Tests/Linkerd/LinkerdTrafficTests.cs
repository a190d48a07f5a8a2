using Infra.Mesh.Planner;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

public class LinkerdTrafficTests
{
    private static readonly string[] Versions = ["stable", "canary"];

    [Fact]
    public void The_canary_split_is_a_route_on_the_service_weighted_between_per_version_services()
    {
        var settings = LinkerdStacks.Settings(LinkerdStacks.Dev);
        var orders = settings.Service("orders");
        var objects = LinkerdStacks.Objects(LinkerdStacks.Dev);
        var route = objects.Named("HTTPRoute", "shop", "orders-http");

        var parent = Assert.Single(route["spec"]!["parentRefs"].Items());
        Assert.Equal(("", "Service", "orders", 8080), ((string?)parent["group"], (string?)parent["kind"], (string?)parent["name"], (int?)parent["port"]));
        var split = route["spec"]!["rules"].Items().Single(r => r["matches"] is null);
        var weights = split["backendRefs"].Items().ToDictionary(b => (string)b["name"]!, b => (int)b["weight"]!);
        Assert.Equal(new Dictionary<string, int> { ["orders-stable"] = 100 - orders.Canary!.Weight, ["orders-canary"] = orders.Canary.Weight }, weights);

        foreach (var version in Versions)
        {
            var selector = objects.Named("Service", "shop", $"orders-{version}")["spec"]!["selector"]!.AsObject();
            Assert.Equal(new Dictionary<string, string> { ["app"] = "orders", ["version"] = version },
                selector.ToDictionary(s => s.Key, s => (string)s.Value!));
        }

        // Selecting by version means each backend reaches exactly one of the Deployments.
        Assert.All(objects.OfKind("Deployment").In("shop").Where(d => (string?)d["metadata"]!["labels"]!["app"] == "orders"),
            d => Assert.Contains((string?)d["spec"]!["template"]!["metadata"]!["labels"]!["version"], Versions));
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Every_weighted_rule_sums_to_100(string variant)
    {
        var rules = LinkerdStacks.Objects(variant).Where(o => (string?)o["kind"] is "HTTPRoute" or "GRPCRoute")
            .SelectMany(r => r["spec"]!["rules"].Items())
            .Where(rule => rule["backendRefs"] is not null)
            .ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, rule => Assert.Equal(100, rule["backendRefs"].Items().Sum(b => (int)b["weight"]!)));
    }

    [Fact]
    public void The_canary_header_reaches_the_canary_whatever_its_weight()
    {
        var orders = LinkerdStacks.Settings(LinkerdStacks.Dev).Service("orders");
        var route = LinkerdStacks.Objects(LinkerdStacks.Dev).Named("HTTPRoute", "shop", "orders-http");
        var opted = route["spec"]!["rules"].Items().Single(r => r["matches"] is not null);

        var header = Assert.Single(Assert.Single(opted["matches"].Items())["headers"].Items());
        Assert.Equal((orders.Canary!.HeaderName, orders.Canary.HeaderValue), ((string?)header["name"], (string?)header["value"]));
        Assert.Equal("orders-canary", (string?)Assert.Single(opted["backendRefs"].Items())["name"]);
    }

    [Fact]
    public void Every_http_port_gets_its_service_timeout_and_only_retries_linkerd_can_express()
    {
        var settings = LinkerdStacks.Settings(LinkerdStacks.Dev);
        var objects = LinkerdStacks.Objects(LinkerdStacks.Dev);
        foreach (var service in settings.Services)
        {
            var route = objects.Named("HTTPRoute", service.Namespace, $"{service.Name}-http");
            Assert.All(route["spec"]!["rules"].Items(), r => Assert.Equal(service.Traffic.Timeout, (string?)r["timeouts"]!["request"]));
        }

        // catalog retries "5xx,connect-failure,refused-stream,unavailable": Linkerd can only act on the 5xx.
        var catalog = settings.Service("catalog");
        var annotations = objects.Named("HTTPRoute", "shop", "catalog-http")["metadata"]!["annotations"]!.AsObject();
        Assert.Equal(new Dictionary<string, string>
        {
            ["retry.linkerd.io/http"] = "5xx",
            ["retry.linkerd.io/limit"] = catalog.Traffic.Retries.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["retry.linkerd.io/timeout"] = catalog.Traffic.Retries.PerTryTimeout,
        }, annotations.ToDictionary(a => a.Key, a => (string)a.Value!));

        // The default retryOn has no response condition: no retries rather than retrying every 5xx of a POST.
        Assert.Null(objects.Named("HTTPRoute", "payments", "payments-http")["metadata"]!["annotations"]);
    }

    /// <summary>
    /// The calling proxy takes a Service port's protocol from its appProtocol: <c>http</c>, <c>kubernetes.io/h2c</c> or
    /// <c>linkerd.io/opaque</c>; any other value (Istio's <c>grpc</c>, <c>http2</c>) is proxied as opaque TCP, which
    /// would drop the port's routes, request balancing and metrics.
    /// </summary>
    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Every_service_port_declares_a_protocol_linkerd_routes(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var objects = LinkerdStacks.Objects(variant);
        var expected = new Dictionary<PortProtocol, string>
        {
            [PortProtocol.Http] = "http",
            [PortProtocol.Http2] = "kubernetes.io/h2c",
            [PortProtocol.Grpc] = "kubernetes.io/h2c",
            [PortProtocol.Tcp] = "linkerd.io/opaque",
        };
        foreach (var service in settings.Services)
        {
            var versions = service.Canary is null ? [] : Versions.Select(v => $"{service.Name}-{v}");
            foreach (var name in versions.Prepend(service.Name))
            {
                var ports = objects.Named("Service", service.Namespace, name)["spec"]!["ports"].Items();
                Assert.Equal(service.Ports.Select(p => (p.Name, expected[p.Protocol])), ports.Select(p => ((string)p["name"]!, (string)p["appProtocol"]!)));
            }
        }

        Assert.Contains(settings.Services.SelectMany(s => s.Ports), p => p.Protocol == PortProtocol.Grpc);
    }

    [Fact]
    public void Every_grpc_port_gets_its_service_timeout_and_the_grpc_retries_linkerd_can_express()
    {
        var catalog = LinkerdStacks.Settings(LinkerdStacks.Dev).Service("catalog");
        Assert.Null(catalog.Canary);
        var route = LinkerdStacks.Objects(LinkerdStacks.Dev).Named("GRPCRoute", "shop", "catalog-grpc");

        var parent = Assert.Single(route["spec"]!["parentRefs"].Items());
        Assert.Equal(("Service", "catalog", catalog.Port("grpc").Port), ((string?)parent["kind"], (string?)parent["name"], (int?)parent["port"]));
        var rule = Assert.Single(route["spec"]!["rules"].Items());
        Assert.Equal([("catalog", 100)], rule["backendRefs"].Items().Select(b => ((string)b["name"]!, (int)b["weight"]!)));
        // catalog retries "5xx,connect-failure,refused-stream,unavailable": on gRPC, Linkerd can act on "unavailable".
        Assert.Equal(new Dictionary<string, string>
        {
            ["retry.linkerd.io/grpc"] = "unavailable",
            ["retry.linkerd.io/limit"] = catalog.Traffic.Retries.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["retry.linkerd.io/timeout"] = catalog.Traffic.Retries.PerTryTimeout,
            ["timeout.linkerd.io/request"] = catalog.Traffic.Timeout,
        }, route["metadata"]!["annotations"]!.AsObject().ToDictionary(a => a.Key, a => (string)a.Value!));
    }

    [Fact]
    public void A_canary_with_a_grpc_port_is_split_there_too()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "    orders:\n      canary:", "    catalog:\n      canary:\n        tag: 3.3.0-rc.1\n        weight: 25\n    orders:\n      canary:");
        var objects = Stacks.Objects(LinkerdStacks.Plan(files, LinkerdStacks.Dev));
        var route = objects.Named("GRPCRoute", "shop", "catalog-grpc");

        Assert.Equal(9090, (int?)Assert.Single(route["spec"]!["parentRefs"].Items())["port"]);
        var split = route["spec"]!["rules"].Items().Single(r => r["matches"] is null);
        Assert.Equal([("catalog-stable", 75), ("catalog-canary", 25)], split["backendRefs"].Items().Select(b => ((string)b["name"]!, (int)b["weight"]!)));
        Assert.Equal("3s", (string?)route["metadata"]!["annotations"]!["timeout.linkerd.io/request"]);
    }

    /// <summary>
    /// Whatever the catalog's <c>retryOn</c>, Linkerd's controller parses both routes of catalog (HTTP and gRPC ports)
    /// without error (<see cref="LinkerdRetryModel"/>: one bad condition would void the route's retries), retries on
    /// exactly the conditions it can express, up to the catalog's attempts, each bounded by the per-try timeout; and a
    /// route left with no condition does not retry at all (a bare limit would retry every 5xx).
    /// </summary>
    [Theory]
    [InlineData("5xx,connect-failure,gateway-error,refused-stream,429,500-504,reset,retriable-4xx", new[] { "500-599", "502-504", "429-429", "500-504" }, new string[0])]
    [InlineData("100, 599 ,99,600,504-500,503-503,500-abc,500-504-599,5xx-", new[] { "100-100", "599-599", "503-503" }, new string[0])]
    [InlineData("cancelled,deadline-exceeded,internal,resource-exhausted,unavailable,connect-failure", new string[0],
        new[] { "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable" })]
    [InlineData("connect-failure,refused-stream", new string[0], new string[0])]
    public void Linkerd_reads_the_retries_of_both_routes_and_retries_only_on_the_conditions_it_can_express(string retryOn, string[] http, string[] grpc)
    {
        var (catalog, objects) = CatalogRetrying(new RetrySettings(3, "750ms", retryOn));
        AssertRetries(http, LinkerdRetryModel.Http(Annotations(objects, "HTTPRoute", "catalog-http")));
        AssertRetries(grpc, LinkerdRetryModel.Grpc(Annotations(objects, "GRPCRoute", "catalog-grpc")));
        // The request timeout bounds a gRPC call whether it retries or not.
        Assert.Equal(catalog.Traffic.Timeout, (string?)objects.Named("GRPCRoute", "shop", "catalog-grpc")["metadata"]!["annotations"]!["timeout.linkerd.io/request"]);

        static void AssertRetries(string[] conditions, LinkerdRetryModel.Retry? retry)
        {
            if (conditions.Length == 0)
            {
                Assert.Null(retry);
                return;
            }

            Assert.Equal((3, "750ms"), (retry!.Limit, retry.Timeout));
            Assert.Equal(conditions, retry.Conditions);
        }
    }

    [Fact]
    public void Zero_attempts_mean_no_retries_and_a_zero_per_try_timeout_leaves_the_attempts_bounded_by_the_route_only()
    {
        var (_, none) = CatalogRetrying(new RetrySettings(0, "1s", "5xx,unavailable"));
        Assert.Null(LinkerdRetryModel.Http(Annotations(none, "HTTPRoute", "catalog-http")));
        Assert.Null(LinkerdRetryModel.Grpc(Annotations(none, "GRPCRoute", "catalog-grpc")));

        var (_, untimed) = CatalogRetrying(new RetrySettings(4, "0s", "5xx,unavailable"));
        var http = LinkerdRetryModel.Http(Annotations(untimed, "HTTPRoute", "catalog-http"))!;
        Assert.Equal((4, (string?)null), (http.Limit, http.Timeout));
        Assert.Equal(["500-599"], http.Conditions);
        var grpc = LinkerdRetryModel.Grpc(Annotations(untimed, "GRPCRoute", "catalog-grpc"))!;
        Assert.Equal((4, (string?)null), (grpc.Limit, grpc.Timeout));
        Assert.Equal(["unavailable"], grpc.Conditions);
        // Not even "0s": nothing for Linkerd to read as a bound.
        Assert.Null(Annotations(untimed, "HTTPRoute", "catalog-http")!["retry.linkerd.io/timeout"]);
    }

    private static (ServiceSettings Catalog, IReadOnlyList<System.Text.Json.Nodes.JsonObject> Objects) CatalogRetrying(RetrySettings retries)
    {
        var settings = LinkerdStacks.Settings(LinkerdStacks.Dev);
        var changed = settings with
        {
            Services = [.. settings.Services.Select(s => s.Name != "catalog" ? s : s with { Traffic = s.Traffic with { Retries = retries } })],
        };
        return (changed.Service("catalog"), Stacks.Objects(MeshPlanner.Plan(changed)));
    }

    private static System.Text.Json.Nodes.JsonNode? Annotations(IEnumerable<System.Text.Json.Nodes.JsonObject> objects, string kind, string name) =>
        objects.Named(kind, "shop", name)["metadata"]!["annotations"];
}
