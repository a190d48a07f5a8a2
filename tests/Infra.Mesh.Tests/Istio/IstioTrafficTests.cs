using System.Text.Json.Nodes;
using Infra.Mesh.Istio;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

public class IstioTrafficTests
{
    public static TheoryData<string> Stacks_ => ["dev", "prod"];

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Route_weights_always_sum_to_100(string stack)
    {
        var routes = Stacks.Objects(Stacks.Plan(stack)).OfKind("VirtualService")
            .SelectMany(vs => vs.Spec()["http"].Items().Concat(vs.Spec()["tcp"].Items()))
            .ToList();
        Assert.NotEmpty(routes);
        Assert.All(routes, route => Assert.Equal(100, route["route"].Items().Sum(d => (int)d["weight"]!)));
    }

    [Theory]
    [InlineData(0, new[] { "stable" })]
    [InlineData(10, new[] { "stable", "canary" })]
    [InlineData(100, new[] { "canary" })]
    public void The_canary_takes_its_configured_share_and_stable_the_rest(int weight, string[] subsets)
    {
        var plan = MeshPlanner.Plan(WithCanaryWeight(Stacks.Settings("dev"), weight));
        var split = MeshRoute(plan, "orders")["http"].Items().Single(r => (string)r["name"]! == "weighted");

        var destinations = split["route"].Items().ToList();
        Assert.Equal(subsets, destinations.Select(d => (string)d["destination"]!["subset"]!));
        Assert.Equal(100 - weight, destinations.Where(d => (string)d["destination"]!["subset"]! == "stable").Sum(d => (int)d["weight"]!));
    }

    [Fact]
    public void Without_a_canary_everything_goes_to_stable()
    {
        var prod = Stacks.Plan("prod");
        foreach (var service in prod.Settings.Services)
        {
            var routes = MeshRoute(prod, service.Name)["http"].Items().ToList();
            var route = Assert.Single(routes);
            var destination = Assert.Single(route["route"].Items());
            Assert.Equal(("stable", 100), ((string)destination["destination"]!["subset"]!, (int)destination["weight"]!));
        }
    }

    [Fact]
    public void The_canary_header_routes_to_the_canary_before_the_split()
    {
        var dev = Stacks.Plan("dev");
        var canary = dev.Settings.Service("orders").Canary!;
        var first = MeshRoute(dev, "orders")["http"].Items().First();

        var match = Assert.Single(first["match"].Items());
        Assert.Equal(canary.HeaderValue, (string)match["headers"]![canary.HeaderName]!["exact"]!);
        Assert.Equal("canary", (string)Assert.Single(first["route"].Items())["destination"]!["subset"]!);
    }

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Routes_carry_the_services_timeout_and_retries(string stack)
    {
        var plan = Stacks.Plan(stack);
        foreach (var service in plan.Settings.Services)
        {
            Assert.All(MeshRoute(plan, service.Name)["http"].Items(), route =>
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
        var routes = Stacks.Objects(plan).OfKind("VirtualService").SelectMany(vs => vs.Spec()["http"].Items()).ToList();
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
                spec["subsets"].Items().Select(s => (string)s["labels"]!["version"]!));
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
                .Concat(service.ExternalHosts.Select(h => $"{h.ClusterNamespace ?? service.Namespace}/{h.Host}").Distinct())
                .Append("istio-system/*");
            Assert.Equal(expected.Order(), Assert.Single(sidecar["egress"].Items())["hosts"].Strings().Order());
        }
    }

    [Fact]
    public void External_hosts_are_service_entries_on_their_port_visible_only_to_the_declaring_namespace()
    {
        var prod = Stacks.Plan("prod");
        var entries = Stacks.Objects(prod).OfKind("ServiceEntry").ToList();
        var declared = prod.Settings.Services.SelectMany(s => s.ExternalHosts.Select(h => (Service: s, Host: h))).ToList();
        Assert.Contains(declared, d => d.Host.Protocol == ExternalProtocol.Tls);
        Assert.Contains(declared, d => d.Host.Protocol == ExternalProtocol.Tcp);
        foreach (var (service, host) in declared)
        {
            var spec = entries.Single(e => e.Namespace() == service.Namespace && e.Spec()["hosts"].Strings().Contains(host.Host)).Spec();
            var port = Assert.Single(spec["ports"].Items());
            Assert.Equal((host.Port, host.Protocol == ExternalProtocol.Tcp ? "TCP" : "TLS"), ((int)port["number"]!, (string)port["protocol"]!));
            Assert.Equal(["."], spec["exportTo"].Strings());
            Assert.Equal(("MESH_EXTERNAL", "DNS"), ((string)spec["location"]!, (string)spec["resolution"]!));
        }

        Assert.Equal(declared.Count, entries.Sum(e => e.Spec()["hosts"].Strings().Count()));
    }

    [Fact]
    public void A_plain_external_host_keeps_its_tls_service_entry()
    {
        var entry = Stacks.Objects(Stacks.Plan("prod")).Named("ServiceEntry", "payments-external").Spec();
        Assert.Equal(["api.stripe.com"], entry["hosts"].Strings());
        var port = Assert.Single(entry["ports"].Items());
        Assert.Equal((443, "TLS"), ((int)port["number"]!, (string)port["protocol"]!));
    }

    [Fact]
    public void A_wildcard_host_gets_an_entry_of_its_own_that_istio_does_not_resolve_by_dns()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "externalHosts: [api.stripe.com]", "externalHosts: [api.stripe.com, \"*.stripe.com\"]");
        var objects = Stacks.Objects(MeshPlanner.Plan(StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "prod"))));

        var exact = objects.Named("ServiceEntry", "payments-external").Spec();
        var wildcard = objects.Named("ServiceEntry", "payments-external-wildcard").Spec();
        Assert.Equal(["api.stripe.com"], exact["hosts"].Strings());
        Assert.Equal("DNS", (string?)exact["resolution"]);
        Assert.Equal(["*.stripe.com"], wildcard["hosts"].Strings());
        Assert.Equal("NONE", (string?)wildcard["resolution"]);
    }

    [Fact]
    public void A_tcp_database_is_reachable_only_by_its_service_whose_proxy_answers_dns_with_the_allocated_address()
    {
        var plan = Stacks.Plan("prod");
        var objects = Stacks.Objects(plan);
        var orders = plan.Settings.Service("orders");
        var database = Assert.Single(orders.ExternalHosts);
        Assert.Equal(ExternalProtocol.Tcp, database.Protocol);

        var entry = objects.OfKind("ServiceEntry").Single(e => e.Spec()["hosts"].Strings().Contains(database.Host));
        Assert.Equal(orders.Namespace, entry.Namespace());
        Assert.Equal(database.Port, (int)Assert.Single(entry.Spec()["ports"].Items())["number"]!);
        // No fixed addresses: istiod's IP auto-allocation gives the entry a VIP, so TCP hosts on one port do not collide.
        Assert.Null(entry.Spec()["addresses"]);

        var egress = objects.OfKind("Sidecar").Single(s => s.Name() == "orders").Spec()["egress"]![0]!["hosts"].Strings();
        Assert.Contains($"{orders.Namespace}/{database.Host}", egress);
        var others = objects.OfKind("Sidecar").Where(s => s.Name() != "orders");
        Assert.All(others, s => Assert.DoesNotContain(s.Spec()["egress"]![0]!["hosts"].Strings(), h => h.EndsWith(database.Host, StringComparison.Ordinal)));

        Assert.Equal("true", (string?)ProxyMetadata(objects, "orders")?["ISTIO_META_DNS_CAPTURE"]);
        // TLS is routed by SNI: a service with only TLS hosts keeps the platform's DNS.
        Assert.Null(ProxyMetadata(objects, "payments"));
    }

    [Fact]
    public void An_in_cluster_service_is_only_sidecar_egress_in_its_own_namespace_which_istiod_then_watches()
    {
        var prod = Stacks.Settings("prod");
        var database = new ExternalHost("orders-db.databases.svc.cluster.local", 5432, ExternalProtocol.Tcp);
        var plan = MeshPlanner.Plan(prod with
        {
            Services = [.. prod.Services.Select(s => s.Name == "orders" ? s with { ExternalHosts = [database] } : s)],
        });
        var objects = Stacks.Objects(plan);

        Assert.DoesNotContain(objects.OfKind("ServiceEntry"), e => e.Spec()["hosts"].Strings().Contains(database.Host));
        var egress = objects.OfKind("Sidecar").Single(s => s.Name() == "orders").Spec()["egress"]![0]!["hosts"].Strings();
        Assert.Contains($"databases/{database.Host}", egress);
        // Kubernetes already gives the Service a cluster IP: no DNS capture needed.
        Assert.Null(ProxyMetadata(objects, "orders"));
        var watched = plan.Release("istiod-1-30-3").Values["meshConfig"]!["discoverySelectors"]![0]!["matchExpressions"]![0]!["values"].Strings();
        Assert.Contains("databases", watched);
    }

    /// <summary>The proxyMetadata the stable Deployment's pods add to the mesh defaults, if any.</summary>
    private static JsonNode? ProxyMetadata(IEnumerable<JsonObject> objects, string service) =>
        (string?)objects.Named("Deployment", service)["spec"]!["template"]!["metadata"]!["annotations"]?[IstioInjection.ProxyConfigAnnotation]
            is { } config ? JsonNode.Parse(config)!["proxyMetadata"] : null;

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
            var https = gateway.Spec()["servers"].Items().Single(s => (int)s["port"]!["number"]! == 443);
            Assert.Equal([service.Public!.Host], https["hosts"].Strings());
            Assert.Equal(("SIMPLE", ingress.TlsSecretName), ((string)https["tls"]!["mode"]!, (string)https["tls"]!["credentialName"]!));

            var route = objects.OfKind("VirtualService").Single(v => v.Namespace() == ingress.Namespace && v.Name() == service.Name).Spec();
            Assert.Equal([$"{ingress.Namespace}/{service.Name}"], route["gateways"].Strings());
            Assert.Equal([service.Public.Host], route["hosts"].Strings());
            Assert.All(route["http"].Items().SelectMany(r => r["route"].Items()), d =>
                Assert.Equal(IstioNames.Host(service), (string)d["destination"]!["host"]!));
        }
    }

    /// <summary>
    /// A TCP port has no requests to route: its route matches the port and splits connections between the versions on
    /// that port, while the HTTP routes name no port (the destination keeps the port the caller used).
    /// </summary>
    [Fact]
    public void A_tcp_port_is_split_between_the_versions_on_its_own_port()
    {
        var settings = IstioStacks.Variant("dev", new IstioStacks.Edit("Pulumi.yaml",
            "        image: ghcr.io/acme/orders:2.7.0\n        replicas: 2\n        ports:\n",
            "        image: ghcr.io/acme/orders:2.7.0\n        replicas: 2\n        ports:\n          - {name: events, port: 9000, protocol: tcp}\n"));
        var plan = MeshPlanner.Plan(settings);
        var orders = MeshRoute(plan, "orders");

        var tcp = Assert.Single(orders["tcp"].Items());
        Assert.Equal([9000], tcp["match"].Items().Select(m => (int)m["port"]!));
        Assert.Equal([("stable", 9000, 90), ("canary", 9000, 10)], tcp["route"].Items()
            .Select(d => ((string)d["destination"]!["subset"]!, (int)d["destination"]!["port"]!["number"]!, (int)d["weight"]!)));
        Assert.All(orders["http"].Items().SelectMany(r => r["route"].Items()), d => Assert.Null(d["destination"]!["port"]));
        // Services with HTTP ports only have no TCP routes at all.
        Assert.Empty(MeshRoute(plan, "payments")["tcp"].Items());
    }

    /// <summary>Envoy retries an attempt cut by its per-try timeout only under 5xx, gateway-error or reset; under other conditions the timeout would just cut requests short.</summary>
    [Theory]
    [InlineData("5xx", true)]
    [InlineData("gateway-error", true)]
    [InlineData("reset", true)]
    [InlineData("connect-failure,refused-stream, reset", true)]
    [InlineData("connect-failure,refused-stream,unavailable", false)]
    [InlineData("retriable-4xx", false)]
    public void The_per_try_timeout_is_set_exactly_when_a_timed_out_attempt_is_retried(string retryOn, bool perTry)
    {
        var dev = Stacks.Settings("dev");
        var plan = MeshPlanner.Plan(dev with
        {
            Services = [.. dev.Services.Select(s => s.Name != "catalog" ? s : s with
            {
                Traffic = s.Traffic with { Retries = new RetrySettings(4, "800ms", retryOn) },
            })],
        });

        var retries = Assert.Single(MeshRoute(plan, "catalog")["http"].Items())["retries"]!;
        Assert.Equal((4, retryOn), ((int)retries["attempts"]!, (string)retries["retryOn"]!));
        Assert.Equal(perTry ? "800ms" : null, (string?)retries["perTryTimeout"]);
    }

    [Fact]
    public void Connection_limits_mesh_tls_and_api_egress_follow_each_services_settings()
    {
        var dev = Stacks.Settings("dev");
        var plan = MeshPlanner.Plan(dev with
        {
            Services = [.. dev.Services.Select(s => s.Name switch
            {
                // One request per connection turns keep-alive off; payments runs without a sidecar and calls the Kubernetes API.
                "catalog" => s with { Traffic = s.Traffic with { ConnectionPool = s.Traffic.ConnectionPool with { MaxRequestsPerConnection = 1 } } },
                "payments" => s with { Injected = false, AutomountServiceAccountToken = true },
                _ => s,
            })],
        });
        var objects = Stacks.Objects(plan);

        var catalog = objects.Named("DestinationRule", "shop", "catalog").Spec()["trafficPolicy"]!;
        Assert.Equal(1, (int?)catalog["connectionPool"]!["http"]!["maxRequestsPerConnection"]);
        Assert.Equal("ISTIO_MUTUAL", (string?)catalog["tls"]!["mode"]);
        // 0 is the catalog's "no limit": left to Istio's default rather than set.
        Assert.Null(objects.Named("DestinationRule", "shop", "orders").Spec()["trafficPolicy"]!["connectionPool"]!["http"]!["maxRequestsPerConnection"]);

        // Callers must not originate mesh mTLS to a service without a proxy to terminate it.
        Assert.Equal("DISABLE", (string?)objects.Named("DestinationRule", "payments", "payments").Spec()["trafficPolicy"]!["tls"]!["mode"]);

        // A service that mounts a token reaches the API server under Sidecar scoping; the others do not.
        var orders = Assert.Single(objects.Named("Sidecar", "shop", "orders").Spec()["egress"].Items())["hosts"].Strings();
        Assert.DoesNotContain(IstioNames.KubernetesApiEgressHost, orders);
        var withToken = IstioTrafficPlanner.EgressHosts(plan.Settings.Service("payments"), plan.Settings);
        Assert.Contains(IstioNames.KubernetesApiEgressHost, withToken);
        Assert.Contains(IstioNames.ControlPlaneEgressHost, withToken);
    }

    [Fact]
    public void The_ingress_routes_only_the_public_prefixes_and_lets_testers_reach_the_canary_there_too()
    {
        var settings = IstioStacks.Variant("dev",
            new IstioStacks.Edit("Pulumi.yaml", "          host: api.acme.example\n", "          host: api.acme.example\n          paths: [/api, /shop]\n"),
            new IstioStacks.Edit("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1\n", "    api-gateway:\n      replicas: 1\n      canary: {tag: 1.15.0, weight: 20}\n"));
        var objects = Stacks.Objects(MeshPlanner.Plan(settings));
        var ingress = settings.Ingress;
        var canary = settings.Service("api-gateway").Canary!;

        var routes = objects.Named("VirtualService", ingress.Namespace, "api-gateway").Spec()["http"].Items().ToList();
        Assert.Equal(["canary-header", "weighted"], routes.Select(r => (string)r["name"]!));
        foreach (var route in routes)
        {
            Assert.Equal(["/api", "/shop"], route["match"].Items().Select(m => (string)m["uri"]!["prefix"]!));
            Assert.All(route["route"].Items(), d => Assert.Equal(8080, (int)d["destination"]!["port"]!["number"]!));
        }

        Assert.All(routes[0]["match"].Items(), m => Assert.Equal(canary.HeaderValue, (string?)m["headers"]![canary.HeaderName]!["exact"]));
        Assert.Equal(["canary"], routes[0]["route"].Items().Select(d => (string)d["destination"]!["subset"]!));
        Assert.Equal([("stable", 80), ("canary", 20)], routes[1]["route"].Items().Select(d => ((string)d["destination"]!["subset"]!, (int)d["weight"]!)));
        Assert.All(routes[1]["match"].Items(), m => Assert.Null(m["headers"]));

        // Plain HTTP on port 80 only redirects to HTTPS.
        var http = objects.Named("Gateway", ingress.Namespace, "api-gateway").Spec()["servers"].Items().Single(s => (int)s["port"]!["number"]! == 80);
        Assert.Equal(("HTTP", true), ((string?)http["port"]!["protocol"], (bool?)http["tls"]!["httpsRedirect"]));
        Assert.Equal([settings.Service("api-gateway").Public!.Host], http["hosts"].Strings());
    }

    /// <summary>One ServiceEntry per protocol and port: an entry's ports apply to all its hosts, so hosts on other ports must not share it.</summary>
    [Fact]
    public void External_hosts_on_other_ports_get_entries_of_their_own()
    {
        var settings = IstioStacks.Variant("prod", new IstioStacks.Edit("Pulumi.yaml", "externalHosts: [api.stripe.com]",
            "externalHosts: [api.stripe.com, {host: files.stripe.com, port: 8443, protocol: tls}, {host: ledger.acme.internal, port: 7000, protocol: tcp}]"));
        var entries = Stacks.Objects(MeshPlanner.Plan(settings)).OfKind("ServiceEntry").In("payments").ToList();

        Assert.Equal(3, entries.Select(e => e.Name()).Distinct().Count());
        Assert.Equal(
            [("api.stripe.com", 443, "TLS"), ("files.stripe.com", 8443, "TLS"), ("ledger.acme.internal", 7000, "TCP")],
            entries.Select(e => (Assert.Single(e.Spec()["hosts"].Strings()), (int)Assert.Single(e.Spec()["ports"].Items())["number"]!,
                (string)e.Spec()["ports"]![0]!["protocol"]!)).Order());
        Assert.Contains(entries, e => e.Name() == "payments-external");
        // istiod refuses a ServiceEntry whose port name is not a DNS-1123 label or repeats
        // (pkg/config/validation/validation.go ValidateServiceEntry, ValidatePortName, 1.30.3).
        Assert.All(entries, e =>
        {
            var names = e.Spec()["ports"].Items().Select(p => (string?)p["name"] ?? "").ToList();
            Assert.All(names, n => Assert.Matches("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", n));
            Assert.Equal(names.Count, names.Distinct().Count());
        });
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
