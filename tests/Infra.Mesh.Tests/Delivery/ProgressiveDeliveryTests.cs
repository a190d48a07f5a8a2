using System.Text.Json.Nodes;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Tests.Linkerd;
using Infra.Testing.Support;
using Infra.Mesh.Verification;

namespace Infra.Mesh.Tests.Delivery;

/// <summary>
/// Progressive delivery on both meshes, checked against what Flagger 1.44.0 does at run time (fluxcd/flagger v1.44.0):
/// it copies the target Deployment to <c>&lt;name&gt;-primary</c> with the selector label <c>app</c> rewritten to
/// <c>&lt;name&gt;-primary</c> and every other pod label copied (pkg/canary/deployment_controller.go, util.go
/// makePrimaryLabels), creates the Services <c>&lt;name&gt;</c>, <c>-primary</c>, <c>-canary</c>
/// (pkg/router/kubernetes_default.go), and the routes of its provider (pkg/router/istio.go, gateway_api.go).
/// The names are spelled out here, independently of the planner.
/// </summary>
public class ProgressiveDeliveryTests
{
    private const string Istio = "dev-progressive";
    private const string Linkerd = "dev-linkerd-progressive";
    private const string LoadTesterIdentity = "flagger-loadtester/flagger-system";

    public static TheoryData<string> ProgressiveStacks => new(Istio, Linkerd);

    [Theory]
    [InlineData(Istio, "istio", "http://prometheus.istio-system:9090", "istio-system", "prometheus")]
    [InlineData(Linkerd, "gatewayapi:v1", "http://prometheus.linkerd-viz:9090", "linkerd-viz", "linkerd-viz")]
    public void Flagger_routes_with_the_stacks_mesh_and_reads_the_stacks_prometheus(string stack, string provider, string metrics, string ns, string source)
    {
        var plan = Stacks.Plan(stack);
        var flagger = plan.Release("flagger");

        Assert.Equal("flagger", flagger.Chart);
        Assert.Equal("1.44.0", flagger.Version);
        Assert.Equal("flagger-system", flagger.Namespace);
        Assert.Equal(provider, (string?)flagger.Values["meshProvider"]);
        Assert.Equal(metrics, (string?)flagger.Values["metricsServer"]);
        // The Prometheus the URL names is planned, and Flagger waits for it.
        Assert.Contains(HelmReleaseItem.IdOf(ns, source), flagger.DependsOn);
        Assert.Equal("0.38.0", plan.Release("flagger-loadtester").Version);
    }

    [Fact]
    public void The_istio_prometheus_addon_serves_under_the_name_and_port_flagger_is_given()
    {
        var prometheus = Stacks.Plan(Istio).Release("prometheus");

        Assert.Equal("prometheus", (string?)prometheus.Values["server"]!["fullnameOverride"]);
        Assert.Equal(9090, (int?)prometheus.Values["server"]!["service"]!["servicePort"]);
    }

    [Theory]
    [MemberData(nameof(ProgressiveStacks))]
    public void Nothing_flagger_creates_and_owns_is_also_planned(string stack)
    {
        var plan = Stacks.Plan(stack);
        var settings = plan.Settings;
        var objects = Stacks.Objects(plan);
        var planned = objects.Select(o => ((string)o["kind"]!, (string?)o["metadata"]!["namespace"], o.Name())).ToHashSet();
        var progressive = settings.Services.Where(settings.IsProgressive).ToList();
        Assert.Equal(settings.Services.Length, progressive.Count);

        foreach (var service in progressive)
        {
            var (ns, name) = (service.Namespace, service.Name);
            List<(string, string?, string)> flaggers =
            [
                ("Deployment", ns, $"{name}-primary"),
                ("HorizontalPodAutoscaler", ns, $"{name}-primary"),
                ("Service", ns, name),
                ("Service", ns, $"{name}-primary"),
                ("Service", ns, $"{name}-canary"),
                ("ConfigMap", ns, $"{name}-config-primary"),
                ("ConfigMap", ns, $"{name}-env-primary"),
                ("Secret", ns, $"{name}-secrets-primary"),
            ];
            flaggers.AddRange(settings.Mesh == MeshKind.Istio
                ? [("VirtualService", ns, name), ("DestinationRule", ns, $"{name}-primary"), ("DestinationRule", ns, $"{name}-canary")]
                : [("HTTPRoute", ns, name)]);
            Assert.All(flaggers, owned => Assert.DoesNotContain(owned, planned));

            // Nor anything else that routes the service's traffic on the port Flagger routes.
            var host = $"{name}.{ns}.svc.cluster.local";
            Assert.DoesNotContain(objects.OfKind("VirtualService"), vs => vs["spec"]!["hosts"].Strings().Any(h => h == host || h == service.Public?.Host));
            Assert.DoesNotContain(objects.Where(o => (string?)o["kind"] is "HTTPRoute" or "GRPCRoute").In(ns), route => route["spec"]!["parentRefs"].Items()
                .Any(p => (string?)p["kind"] == "Service" && (string?)p["name"] == name && (int?)p["port"] == service.HttpPort.Port));

            // What Flagger needs from us is there: the target Deployment the Canary names, with its replicas left to Flagger.
            var canary = objects.Named("Canary", ns, name);
            Assert.Equal(name, (string?)canary["spec"]!["targetRef"]!["name"]);
            var target = plan.Items.OfType<ManifestItem>().Single(i => i.Kind == "Deployment" && i.Namespace == ns && i.Name == name);
            Assert.Equal(["spec.replicas"], target.IgnoreChanges.ToArray());
        }

        // No other object in the plan carries ignoreChanges.
        Assert.Equal(progressive.Count, plan.Items.OfType<ManifestItem>().Count(i => !i.IgnoreChanges.IsEmpty));
    }

    [Fact]
    public void A_static_stack_keeps_its_own_routes_and_plans_no_flagger()
    {
        var plan = Stacks.Plan("dev");
        var objects = Stacks.Objects(plan);

        Assert.DoesNotContain(plan.Releases, r => r.Repository == "https://flagger.app");
        Assert.Empty(objects.OfKind("Canary"));
        Assert.NotNull(objects.Named("Service", "shop", "orders"));
        Assert.NotNull(objects.Named("VirtualService", "shop", "orders"));
        Assert.All(plan.Items.OfType<ManifestItem>(), i => Assert.Empty(i.IgnoreChanges));
    }

    [Theory]
    [MemberData(nameof(ProgressiveStacks))]
    public void Every_policy_of_a_service_selects_the_primary_pods_flagger_relabels_and_the_canary_pods(string stack)
    {
        var plan = Stacks.Plan(stack);
        var objects = Stacks.Objects(plan);
        foreach (var service in plan.Settings.Services)
        {
            var template = objects.Named("Deployment", service.Namespace, service.Name)["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
            var canaryPod = template.ToDictionary(l => l.Key, l => (string)l.Value!);
            // makePrimaryLabels: the selector label (app, the first of Flagger's selector labels the target selects by) gets -primary.
            Assert.Equal(service.Name, (string?)objects.Named("Deployment", service.Namespace, service.Name)["spec"]!["selector"]!["matchLabels"]!["app"]);
            var primaryPod = new Dictionary<string, string>(canaryPod) { ["app"] = $"{service.Name}-primary" };

            var selectors = plan.Settings.Mesh == MeshKind.Istio
                ? new[]
                {
                    objects.Named("AuthorizationPolicy", service.Namespace, service.Name)["spec"]!["selector"]!["matchLabels"]!,
                    objects.Named("Sidecar", service.Namespace, service.Name)["spec"]!["workloadSelector"]!["labels"]!,
                }
                : [.. service.Ports.Select(p => objects.Named("Server", service.Namespace, $"{service.Name}-{p.Name}")["spec"]!["podSelector"]!["matchLabels"]!)];
            foreach (var selector in selectors)
            {
                Assert.True(Selects(selector.AsObject(), primaryPod), $"{service.Name}: {selector.ToJsonString()} misses the primary pods");
                Assert.True(Selects(selector.AsObject(), canaryPod), $"{service.Name}: {selector.ToJsonString()} misses the canary pods");
            }
        }
    }

    [Fact]
    public void Callers_proxies_know_the_primary_and_canary_hosts_the_virtual_service_sends_them_to()
    {
        var settings = Stacks.Settings(Istio);
        var objects = Stacks.Objects(Stacks.Plan(Istio));
        foreach (var edge in CallGraph.Of(settings).Edges)
        {
            var egress = objects.Named("Sidecar", edge.Caller.Namespace, edge.Caller.Name)["spec"]!["egress"]!.Items().SelectMany(e => e["hosts"].Strings()).ToList();
            foreach (var name in new[] { edge.Callee.Name, $"{edge.Callee.Name}-primary", $"{edge.Callee.Name}-canary" })
            {
                Assert.Contains($"{edge.Callee.Namespace}/{name}.{edge.Callee.Namespace}.svc.cluster.local", egress);
            }
        }
    }

    [Fact]
    public void A_public_service_binds_flaggers_virtual_service_to_its_ingress_gateway_and_host()
    {
        var objects = Stacks.Objects(Stacks.Plan(Istio));
        var service = objects.Named("Canary", "storefront", "api-gateway")["spec"]!["service"]!;

        Assert.Equal(["mesh", "mesh-ingress/api-gateway"], service["gateways"].Strings());
        Assert.Equal(["api.acme.example"], service["hosts"].Strings());
        Assert.NotNull(objects.Named("Gateway", "mesh-ingress", "api-gateway"));
    }

    [Fact]
    public void On_istio_the_load_tester_may_get_the_webhook_paths_of_the_canary_and_nothing_else()
    {
        var objects = Stacks.Objects(Stacks.Plan(Istio));
        var orders = objects.Named("AuthorizationPolicy", "shop", "orders")["spec"]!["rules"]!.Items()
            .Single(r => r["from"].Items().Any(f => f["source"]!["principals"].Strings().Contains("cluster.local/ns/flagger-system/sa/flagger-loadtester")));
        var operation = orders["to"].Items().Single()["operation"]!;

        Assert.Equal(["GET"], operation["methods"].Strings());
        Assert.Equal(["8080"], operation["ports"].Strings());
        Assert.Equal(WebhookPaths(objects.Named("Canary", "shop", "orders")).Order(), operation["paths"].Strings().Order());

        // Flagger calls the load tester without a sidecar: only its webhook port takes plain text.
        var peer = objects.Named("PeerAuthentication", "flagger-system", "flagger-loadtester")["spec"]!;
        Assert.Equal("loadtester", (string?)peer["selector"]!["matchLabels"]!["app"]);
        Assert.Equal("PERMISSIVE", (string?)peer["portLevelMtls"]!["8080"]!["mode"]);
    }

    [Fact]
    public void On_linkerd_the_load_tester_is_authorized_for_the_webhook_requests_and_the_declared_callers_keep_theirs()
    {
        var plan = Stacks.Plan(Linkerd);
        var objects = Stacks.Objects(plan);
        var model = new InboundPolicyModel(objects);
        foreach (var service in plan.Settings.Services.Where(s => s.HttpPort.Protocol is PortProtocol.Http))
        {
            var server = $"{service.Name}-{service.HttpPort.Name}";
            var paths = WebhookPaths(objects.Named("Canary", service.Namespace, service.Name));
            Assert.NotEmpty(paths);
            Assert.All(paths, path => Assert.True(model.Allows(service.Namespace, server, LoadTesterIdentity, "GET", path), $"{service.Name}: GET {path}"));
            Assert.False(model.Allows(service.Namespace, server, LoadTesterIdentity, "POST", paths[0]));
            Assert.False(model.Allows(service.Namespace, server, LoadTesterIdentity, "GET", "/admin/never-declared"));

            foreach (var edge in CallGraph.Of(plan.Settings).Into(service))
            {
                var path = edge.Call.Paths.IsEmpty ? "/" : edge.Call.Paths[0].TrimEnd('*');
                var method = edge.Call.Methods.IsEmpty ? "GET" : edge.Call.Methods[0];
                Assert.True(model.Allows(service.Namespace, server, $"{edge.Caller.ServiceAccount}/{edge.Caller.Namespace}", method, path),
                    $"{edge.Caller.Name} -> {service.Name} {method} {path}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ProgressiveStacks))]
    public void Verification_calls_each_progressive_callee_through_flaggers_primary_service_too(string stack)
    {
        var settings = Stacks.Settings(stack);
        var mesh = Infra.Mesh.Planner.MeshPlanner.MeshFor(settings);
        var checks = VerificationPlanner.Jobs(settings, mesh.Injection, mesh.Proxy).SelectMany(j => j.Checks.Select(c => (j.ServiceAccount, Check: c))).ToList();
        foreach (var edge in CallGraph.Of(settings).Edges)
        {
            foreach (var name in new[] { edge.Callee.Name, $"{edge.Callee.Name}-primary" })
            {
                Assert.Single(checks, c => c.ServiceAccount == edge.Caller.ServiceAccount && c.Check.Kind == CheckKind.Allowed
                    && new Uri(c.Check.Url).Host == $"{name}.{edge.Callee.Namespace}.svc.cluster.local");
            }
        }

        var guarded = settings.Services.Where(s => VerificationPlanner.VerifiedPort(s) is not null && mesh.Proxy.Refuses(settings, s, CallGraph.Of(settings).Into(s).Any())).ToList();
        Assert.NotEmpty(guarded);
        foreach (var service in guarded)
        {
            Assert.Contains(checks, c => c.ServiceAccount == VerificationPlanner.VerifierAccount && c.Check.Kind == mesh.Proxy.Denial(service)
                && new Uri(c.Check.Url).Host == $"{service.Name}-primary.{service.Namespace}.svc.cluster.local");
        }
    }

    [Theory]
    [MemberData(nameof(ProgressiveStacks))]
    public void Live_config_stays_untracked_so_the_primary_reads_the_live_config_map_restart_config_is_tracked(string stack)
    {
        var plan = Stacks.Plan(stack);
        var objects = Stacks.Objects(plan);
        foreach (var service in plan.Settings.Services)
        {
            var annotations = objects.Named("ConfigMap", service.Namespace, $"{service.Name}-config")["metadata"]!["annotations"];
            Assert.Equal(service.Config.Reload == ConfigReload.Live ? "disabled" : null, (string?)annotations?["flagger.app/config-tracking"]);
        }
    }

    [Theory]
    [MemberData(nameof(ProgressiveStacks))]
    public void Nrepl_is_no_container_port_under_flaggers_port_discovery(string stack)
    {
        var plan = Stacks.Plan(stack);
        var objects = Stacks.Objects(plan);
        foreach (var service in plan.Settings.Services.Where(s => s.Nrepl.Enabled))
        {
            var container = objects.Named("Deployment", service.Namespace, service.Name)["spec"]!["template"]!["spec"]!["containers"]!.Items().Single();
            Assert.DoesNotContain(container["ports"].Items(), p => (int?)p["containerPort"] == service.Nrepl.Port);
            Assert.Equal(service.Ports.Select(p => p.Port).Order(), container["ports"].Items().Select(p => (int)p["containerPort"]!).Order());
        }
    }

    [Fact]
    public void A_b_testing_sends_only_header_requests_to_the_canary_and_runs_iterations_instead_of_weights()
    {
        var analysis = Stacks.Objects(Stacks.Plan(Istio)).Named("Canary", "payments", "payments")["spec"]!["analysis"]!;

        Assert.Equal("always", (string?)analysis["match"]![0]!["headers"]!["x-canary"]!["exact"]);
        Assert.Equal(5, (int?)analysis["iterations"]);
        Assert.Null(analysis["stepWeight"]);
        Assert.Null(analysis["maxWeight"]);
    }

    [Fact]
    public void Linkerd_analysis_reads_the_proxies_metrics_through_templates_in_vizs_prometheus()
    {
        var objects = Stacks.Objects(Stacks.Plan(Linkerd));
        var metrics = objects.Named("Canary", "shop", "orders")["spec"]!["analysis"]!["metrics"]!.Items().ToList();

        foreach (var metric in metrics)
        {
            var template = objects.Named("MetricTemplate", (string)metric["templateRef"]!["namespace"]!, (string)metric["templateRef"]!["name"]!)["spec"]!;
            Assert.Equal("http://prometheus.linkerd-viz:9090", (string?)template["provider"]!["address"]);
            Assert.Contains("direction=\"inbound\"", (string)template["query"]!, StringComparison.Ordinal);
            Assert.Contains("deployment=~\"{{ target }}\"", (string)template["query"]!, StringComparison.Ordinal);
        }

        Assert.Equal(99, (double?)metrics.Single(m => (string?)m["name"] == "request-success-rate")["thresholdRange"]!["min"]);
        Assert.Equal(1000, (double?)metrics.Single(m => (string?)m["name"] == "request-duration")["thresholdRange"]!["max"]);
    }

    [Fact]
    public void Plan_md_shows_each_progressive_services_steps_thresholds_and_webhooks()
    {
        var markdown = Infra.Mesh.Rendering.PlanMarkdown.Write(Stacks.Plan(Istio));
        var rows = markdown[markdown.IndexOf("## Progressive delivery", StringComparison.Ordinal)..].Split('\n');

        var orders = Assert.Single(rows, r => r.StartsWith("| shop/orders |", StringComparison.Ordinal));
        Assert.Contains("+10% every 1m up to 50%", orders, StringComparison.Ordinal);
        Assert.Contains("request-success-rate ≥ 99%", orders, StringComparison.Ordinal);
        Assert.Contains("(P99) ≤ 800 ms", orders, StringComparison.Ordinal);
        Assert.Contains("after 5 failed checks", orders, StringComparison.Ordinal);
        Assert.Contains("pre-rollout `acceptance-test`", orders, StringComparison.Ordinal);
        Assert.Contains("hey -z 1m -q 10 -c 2 http://orders-canary.shop:8080/orders", orders, StringComparison.Ordinal);
        var payments = Assert.Single(rows, r => r.StartsWith("| payments/payments |", StringComparison.Ordinal));
        Assert.Contains("A/B: requests with `x-canary: always` for 5 intervals of 1m", payments, StringComparison.Ordinal);
        Assert.DoesNotContain("## Progressive delivery", Infra.Mesh.Rendering.PlanMarkdown.Write(Stacks.Plan("dev")), StringComparison.Ordinal);
    }

    /// <summary>The paths a Canary's load tester webhooks request (the last word of each command is the URL).</summary>
    private static List<string> WebhookPaths(JsonNode canary) =>
        [.. canary["spec"]!["analysis"]!["webhooks"].Items()
            .Select(w => new Uri(((string)w["metadata"]!["cmd"]!).Split(' ')[^1]).AbsolutePath)
            .Distinct()];

    private static bool Selects(JsonObject matchLabels, Dictionary<string, string> pod) =>
        matchLabels.All(l => pod.TryGetValue(l.Key, out var value) && value == (string?)l.Value);
}

internal static class JsonStrings
{
    public static IEnumerable<string> Strings(this JsonNode? array) => array?.AsArray().Select(n => (string)n!) ?? [];
}
