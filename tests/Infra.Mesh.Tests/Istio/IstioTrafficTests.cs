using System.Text.Json.Nodes;
using Infra.Mesh.Istio;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Tests.Support;

namespace Infra.Mesh.Tests.Istio;

public class IstioTrafficTests
{
    public static TheoryData<string> Stacks_ => ["dev", "prod"];

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Route_weights_always_sum_to_100(string stack)
    {
        var routes = Stacks.Objects(Stacks.Plan(stack)).OfKind("VirtualService")
            .SelectMany(vs => vs.Spec()["http"].Objects().Concat(vs.Spec()["tcp"].Objects()))
            .ToList();
        Assert.NotEmpty(routes);
        Assert.All(routes, route => Assert.Equal(100, route["route"].Objects().Sum(d => (int)d["weight"]!)));
    }

    [Theory]
    [InlineData(0, new[] { "stable" })]
    [InlineData(10, new[] { "stable", "canary" })]
    [InlineData(100, new[] { "canary" })]
    public void The_canary_takes_its_configured_share_and_stable_the_rest(int weight, string[] subsets)
    {
        var plan = MeshPlanner.Plan(WithCanaryWeight(Stacks.Settings("dev"), weight));
        var split = MeshRoute(plan, "orders")["http"].Objects().Single(r => (string)r["name"]! == "weighted");

        var destinations = split["route"].Objects().ToList();
        Assert.Equal(subsets, destinations.Select(d => (string)d["destination"]!["subset"]!));
        Assert.Equal(100 - weight, destinations.Where(d => (string)d["destination"]!["subset"]! == "stable").Sum(d => (int)d["weight"]!));
    }

    [Fact]
    public void Without_a_canary_everything_goes_to_stable()
    {
        var prod = Stacks.Plan("prod");
        foreach (var service in prod.Settings.Services)
        {
            var routes = MeshRoute(prod, service.Name)["http"].Objects().ToList();
            var route = Assert.Single(routes);
            var destination = Assert.Single(route["route"].Objects());
            Assert.Equal(("stable", 100), ((string)destination["destination"]!["subset"]!, (int)destination["weight"]!));
        }
    }

    [Fact]
    public void The_canary_header_routes_to_the_canary_before_the_split()
    {
        var dev = Stacks.Plan("dev");
        var canary = dev.Settings.Service("orders").Canary!;
        var first = MeshRoute(dev, "orders")["http"].Objects().First();

        var match = Assert.Single(first["match"].Objects());
        Assert.Equal(canary.HeaderValue, (string)match["headers"]![canary.HeaderName]!["exact"]!);
        Assert.Equal("canary", (string)Assert.Single(first["route"].Objects())["destination"]!["subset"]!);
    }

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Routes_carry_the_services_timeout_and_retries(string stack)
    {
        var plan = Stacks.Plan(stack);
        foreach (var service in plan.Settings.Services)
        {
            Assert.All(MeshRoute(plan, service.Name)["http"].Objects(), route =>
            {
                Assert.Equal(service.Traffic.Timeout, (string)route["timeout"]!);
                Assert.Equal(service.Traffic.Retries.Attempts, (int)route["retries"]!["attempts"]!);
                Assert.Equal(service.Traffic.Retries.RetryOn, (string)route["retries"]!["retryOn"]!);
            });
        }
    }

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void A_per_try_timeout_is_set_only_where_an_attempt_that_timed_out_is_retried(string stack)
    {
        // Otherwise Envoy would answer 504 after perTryTimeout, long before the route's timeout.
        var plan = Stacks.Plan(stack);
        var routes = Stacks.Objects(plan).OfKind("VirtualService").SelectMany(vs => vs.Spec()["http"].Objects()).ToList();
        Assert.Contains(routes, r => r["retries"]!["perTryTimeout"] is not null);
        Assert.Contains(routes, r => r["retries"]!["perTryTimeout"] is null);
        Assert.All(routes, route =>
        {
            var conditions = ((string)route["retries"]!["retryOn"]!).Split(',');
            Assert.Equal(conditions.Intersect(["5xx", "gateway-error", "reset"]).Any(), route["retries"]!["perTryTimeout"] is not null);
        });
    }

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Destination_rules_have_a_subset_per_version_mesh_mtls_and_limits(string stack)
    {
        var plan = Stacks.Plan(stack);
        var rules = Stacks.Objects(plan).OfKind("DestinationRule").ToList();
        foreach (var service in plan.Settings.Services)
        {
            var spec = rules.Single(r => r.Name() == service.Name && r.Namespace() == service.Namespace).Spec();
            Assert.Equal(IstioNames.Host(service), (string)spec["host"]!);
            Assert.Equal(
                service.Canary is null ? ["stable"] : ["stable", "canary"],
                spec["subsets"].Objects().Select(s => (string)s["labels"]!["version"]!));
            var policy = spec["trafficPolicy"]!;
            Assert.Equal("ISTIO_MUTUAL", (string)policy["tls"]!["mode"]!);
            Assert.Equal(service.Traffic.ConnectionPool.MaxConnections, (int)policy["connectionPool"]!["tcp"]!["maxConnections"]!);
            Assert.Equal(service.Traffic.OutlierDetection.Consecutive5xxErrors, (int)policy["outlierDetection"]!["consecutive5xxErrors"]!);
        }
    }

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Each_sidecar_reaches_exactly_its_dependencies_and_the_control_plane(string stack)
    {
        var plan = Stacks.Plan(stack);
        var sidecars = Stacks.Objects(plan).OfKind("Sidecar").ToList();
        Assert.Equal(plan.Settings.Services.Count(s => s.Injected), sidecars.Count);
        foreach (var service in plan.Settings.Services)
        {
            var sidecar = sidecars.Single(s => s.Name() == service.Name && s.Namespace() == service.Namespace).Spec();
            Assert.Equal(service.Name, (string)sidecar["workloadSelector"]!["labels"]!["app"]!);
            var expected = service.Calls.Select(c => plan.Settings.Service(c.Service))
                .Select(callee => $"{callee.Namespace}/{callee.Name}.{callee.Namespace}.svc.cluster.local")
                .Concat(service.ExternalHosts.Select(h => $"{service.Namespace}/{h}"))
                .Append("istio-system/*");
            Assert.Equal(expected.Order(), Assert.Single(sidecar["egress"].Objects())["hosts"].Strings().Order());
        }
    }

    [Fact]
    public void External_hosts_are_service_entries_visible_only_to_the_declaring_namespace()
    {
        var prod = Stacks.Plan("prod");
        var entries = Stacks.Objects(prod).OfKind("ServiceEntry").ToList();
        var declaring = prod.Settings.Services.Where(s => !s.ExternalHosts.IsEmpty).ToList();
        Assert.NotEmpty(declaring);
        Assert.Equal(declaring.Count, entries.Count);
        foreach (var service in declaring)
        {
            var spec = entries.Single(e => e.Namespace() == service.Namespace).Spec();
            Assert.Equal(service.ExternalHosts, spec["hosts"].Strings());
            Assert.Equal(["."], spec["exportTo"].Strings());
            Assert.Equal("MESH_EXTERNAL", (string)spec["location"]!);
        }
    }

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Each_public_service_has_a_tls_gateway_and_an_ingress_route(string stack)
    {
        var plan = Stacks.Plan(stack);
        var objects = Stacks.Objects(plan);
        var ingress = plan.Settings.Ingress;
        var exposed = plan.Settings.Services.Where(s => s.Public is not null).ToList();
        Assert.NotEmpty(exposed);
        Assert.Equal(exposed.Count, objects.OfKind("Gateway").Count());
        foreach (var service in exposed)
        {
            var gateway = objects.OfKind("Gateway").Single(g => g.Name() == service.Name);
            Assert.Equal(ingress.Namespace, gateway.Namespace());
            var https = gateway.Spec()["servers"].Objects().Single(s => (int)s["port"]!["number"]! == 443);
            Assert.Equal([service.Public!.Host], https["hosts"].Strings());
            Assert.Equal(("SIMPLE", ingress.TlsSecretName), ((string)https["tls"]!["mode"]!, (string)https["tls"]!["credentialName"]!));

            var route = objects.OfKind("VirtualService").Single(v => v.Namespace() == ingress.Namespace && v.Name() == service.Name).Spec();
            Assert.Equal([$"{ingress.Namespace}/{service.Name}"], route["gateways"].Strings());
            Assert.Equal([service.Public.Host], route["hosts"].Strings());
            Assert.All(route["http"].Objects().SelectMany(r => r["route"].Objects()), d =>
                Assert.Equal(IstioNames.Host(service), (string)d["destination"]!["host"]!));
        }
    }

    private static JsonObject MeshRoute(MeshPlan plan, string service)
    {
        var settings = plan.Settings.Service(service);
        return Stacks.Objects(plan).OfKind("VirtualService").Single(v => v.Namespace() == settings.Namespace && v.Name() == service).Spec();
    }

    private static StackSettings WithCanaryWeight(StackSettings settings, int weight) => settings with
    {
        Services = [.. settings.Services.Select(s => s.Canary is { } canary ? s with { Canary = canary with { Weight = weight } } : s)],
    };
}
