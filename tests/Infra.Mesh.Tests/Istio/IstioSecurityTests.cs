using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Istio;
using Infra.Mesh.Istio.Ambient;
using Infra.Mesh.Planner;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Tests.Istio.Ambient;
using Infra.Mesh.Tests.Properties;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

public class IstioSecurityTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Each_declared_call_yields_exactly_one_allow_rule_and_an_undeclared_call_none(string stack)
    {
        var plan = Stacks.Plan(stack);
        var policies = AllowPolicies(Stacks.Objects(plan)).ToList();
        var services = plan.Settings.Services;
        foreach (var caller in services)
        {
            foreach (var callee in services.Where(s => s != caller))
            {
                var rules = policies
                    .Where(p => p.Namespace() == callee.Namespace && (string)p.Spec()["selector"]!["matchLabels"]!["app"]! == callee.Name)
                    .SelectMany(p => p.Spec()["rules"].Items())
                    .Count(rule => Principals(rule).Contains(CallGraph.Principal(caller)));
                Assert.Equal(caller.Calls.Any(c => c.Service == callee.Name) ? 1 : 0, rules);
            }
        }
    }

    [Fact]
    public void A_call_rule_is_narrowed_to_the_declared_methods_and_paths()
    {
        var dev = Stacks.Plan("dev");
        var caller = dev.Settings.Service("api-gateway");
        var call = caller.Calls.Single(c => c.Service == "orders");
        var rule = AllowPolicies(Stacks.Objects(dev)).Single(p => p.Name() == "orders").Spec()["rules"].Items()
            .Single(r => Principals(r).Contains(CallGraph.Principal(caller)));

        var operations = rule["to"].Items().Select(t => t["operation"]!).ToList();
        Assert.Equal(2, operations.Count);
        Assert.Equal(call.Methods, operations[0]["methods"].Strings());
        Assert.Equal(call.Paths, operations[0]["paths"].Strings());
        // The verification request, and only it, besides the declared call: GET of the verification path.
        Assert.Equal(["GET"], operations[1]["methods"].Strings());
        Assert.Equal([dev.Settings.Verification.Path], operations[1]["paths"].Strings());
    }

    [Fact]
    public void Without_verification_a_call_rule_admits_only_the_declared_call()
    {
        var dev = Stacks.Settings("dev");
        var plan = MeshPlanner.Plan(dev with { Verification = dev.Verification with { Enabled = false } });
        var caller = dev.Service("api-gateway");
        var rule = AllowPolicies(Stacks.Objects(plan)).Single(p => p.Name() == "orders").Spec()["rules"].Items()
            .Single(r => Principals(r).Contains(CallGraph.Principal(caller)));

        Assert.Single(rule["to"].Items());
    }

    [Fact]
    public void An_unrestricted_call_rule_needs_no_extra_operation_for_verification()
    {
        var dev = Stacks.Plan("dev");
        var caller = dev.Settings.Service("orders");
        var rule = AllowPolicies(Stacks.Objects(dev)).Single(p => p.Name() == "catalog").Spec()["rules"].Items()
            .Single(r => Principals(r).Contains(CallGraph.Principal(caller)));

        // orders may GET anything on catalog, the verification path included; no operation is added.
        Assert.All(rule["to"].Items(), t => Assert.DoesNotContain(dev.Settings.Verification.Path, t["operation"]!["paths"].Strings()));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void The_ingress_gateway_may_reach_public_services_only(string stack)
    {
        var plan = Stacks.Plan(stack);
        var gateway = IstioNames.IngressGatewayPrincipal(plan.Settings.Ingress);
        var reached = AllowPolicies(Stacks.Objects(plan))
            .Where(p => p.Spec()["rules"].Items().Any(r => Principals(r).Contains(gateway)))
            .Select(p => p.Name());
        Assert.Equal(plan.Settings.Services.Where(s => s.Public is not null).Select(s => s.Name), reached);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Every_allow_rule_names_its_callers_so_nothing_is_open_to_unauthenticated_traffic(string stack)
    {
        var rules = AllowPolicies(Stacks.Objects(Stacks.Plan(stack))).SelectMany(p => p.Spec()["rules"].Items()).ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, rule =>
        {
            Assert.NotEmpty(rule["from"].Items());
            Assert.All(rule["from"].Items(), from => Assert.NotEmpty(from["source"]!["principals"].Strings()));
        });
    }

    [Fact]
    public void Prod_has_strict_mtls_and_default_deny_in_every_application_namespace()
    {
        var prod = Stacks.Plan("prod");
        var objects = Stacks.Objects(prod);
        var peer = objects.OfKind("PeerAuthentication").ToList();
        Assert.All(peer, p => Assert.Equal("STRICT", (string)p.Spec()["mtls"]!["mode"]!));
        Assert.Contains(peer, p => p.Namespace() == IstioNames.RootNamespace && p.Name() == "default");

        var denyAll = objects.OfKind("AuthorizationPolicy").Where(p => p.Spec().Count == 0).ToList();
        Assert.Equal(prod.Settings.Namespaces.Order(), denyAll.Select(p => p.Namespace()!).Order());
    }

    [Fact]
    public void Dev_may_be_permissive_and_a_namespace_can_override_the_mesh_mode()
    {
        var dev = Stacks.Settings("dev");
        var overridden = MeshPlanner.Plan(dev with
        {
            Security = dev.Security with { NamespaceMtls = dev.Security.NamespaceMtls.Add("payments", MtlsMode.Strict) },
        });
        var modes = Stacks.Objects(overridden).OfKind("PeerAuthentication").ToDictionary(p => p.Namespace()!, p => (string)p.Spec()["mtls"]!["mode"]!);
        Assert.Equal(new Dictionary<string, string> { [IstioNames.RootNamespace] = "PERMISSIVE", ["payments"] = "STRICT" }, modes);
    }

    /// <summary>The Istio plans the checks below run over: each data plane, with and without default deny, and progressive delivery.</summary>
    public static TheoryData<string> Variants => new(PlanVariants.Keys);

    private static readonly Dictionary<string, Func<StackSettings>> PlanVariants = new()
    {
        ["dev"] = () => Stacks.Settings("dev"),
        ["prod"] = () => Stacks.Settings("prod"),
        ["dev-ambient"] = () => Stacks.Settings(AmbientStacks.Dev),
        ["dev-progressive"] = () => Stacks.Settings("dev-progressive"),
        ["dev, nobody calls payments, no default deny"] = () => IstioStacks.Variant("dev", NobodyCallsPayments, NoDefaultDeny("dev")),
        ["dev-ambient, nobody calls payments, no default deny"] = () => IstioStacks.Variant(AmbientStacks.Dev, NobodyCallsPayments, NoDefaultDeny(AmbientStacks.Dev)),
        ["dev-progressive, nobody calls payments, which is load tested, no default deny"] =
            () => IstioStacks.Variant("dev-progressive", NobodyCallsPayments, LoadTestedPayments, NoDefaultDeny("dev-progressive")),
        ["dev-progressive, nobody calls payments, which is load tested"] = () => IstioStacks.Variant("dev-progressive", NobodyCallsPayments, LoadTestedPayments),
        ["dev-ambient, nobody calls payments"] = () => IstioStacks.Variant(AmbientStacks.Dev, NobodyCallsPayments),
        ["dev, api-gateway public below /api/ and /shop"] = () => IstioStacks.Variant("dev", PublicBelow("/api/, /shop")),
        ["dev, api-gateway public at /"] = () => IstioStacks.Variant("dev", PublicBelow("/")),
        ["dev, payments calls catalog without restrictions"] = () => IstioStacks.Variant("dev", PaymentsCallsCatalog),
    };

    /// <summary>
    /// istiod's validating webhook refuses an AuthorizationPolicy rule with an empty <c>from</c>, <c>to</c>, source or
    /// operation, or an empty string among their values (pkg/config/validation/validation.go ValidateAuthorizationPolicy,
    /// pkg/config/security/security.go CheckEmptyValues, 1.30.3): such a policy never reaches a proxy, so the
    /// rendered ones must all pass.
    /// </summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_authorization_rule_passes_istiods_validation(string variant)
    {
        var rules = Stacks.Objects(MeshPlanner.Plan(PlanVariants[variant]())).OfKind("AuthorizationPolicy")
            .SelectMany(p => p.Spec()["rules"].Items().Select((rule, i) => (Policy: $"{p.Namespace()}/{p.Name()} rule {i}", Rule: rule)))
            .ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, r => Assert.Empty(ValidationErrors(r.Rule).Select(e => $"{r.Policy}: {e}")));
    }

    [Fact]
    public void The_ingress_gateway_reaches_a_public_service_on_its_port_and_public_paths_only()
    {
        var settings = IstioStacks.Variant("dev", PublicBelow("/api/, /shop"));
        var model = new IstioAuthorizationModel(Stacks.Objects(MeshPlanner.Plan(settings)), IstioNames.RootNamespace);
        var gateway = IstioNames.IngressGatewayPrincipal(settings.Ingress);
        var service = settings.Service("api-gateway");
        bool Allows(string path, int port = 8080) => model.Allows(service.Namespace, Labels(service), gateway, "GET", path, port);

        Assert.True(Allows("/api"));
        Assert.True(Allows("/api/orders/42"));
        Assert.True(Allows("/shop"));
        Assert.True(Allows("/shop/cart"));
        Assert.False(Allows("/admin"));
        Assert.False(Allows("/apix"));
        Assert.False(Allows("/"));
        Assert.False(Allows("/api/orders", port: 7888));

        // A service public at / is open to the gateway on every path of its port.
        var root = IstioStacks.Variant("dev", PublicBelow("/"));
        var rootModel = new IstioAuthorizationModel(Stacks.Objects(MeshPlanner.Plan(root)), IstioNames.RootNamespace);
        Assert.True(rootModel.Allows(service.Namespace, Labels(service), gateway, "GET", "/", 8080));
        Assert.True(rootModel.Allows(service.Namespace, Labels(service), gateway, "POST", "/any/thing", 8080));
        Assert.False(rootModel.Allows(service.Namespace, Labels(service), gateway, "GET", "/", 7888));
    }

    /// <summary>
    /// With sidecars Prometheus scrapes the merged metrics on the agent's port 15020, which never passes the inbound
    /// listener that enforces AuthorizationPolicy: it needs no rule, so it gets none on any application port.
    /// </summary>
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void With_sidecars_prometheus_is_allowed_on_no_application_port(string stack)
    {
        var settings = Stacks.Settings(stack);
        Assert.True(settings.Observability.Prometheus);
        var model = new IstioAuthorizationModel(Stacks.Objects(MeshPlanner.Plan(settings)), IstioNames.RootNamespace);
        foreach (var service in settings.Services)
        {
            foreach (var port in service.Ports)
            {
                Assert.False(model.Allows(service.Namespace, Labels(service), IstioObservabilityPlanner.PrometheusPrincipal, "GET", service.Metrics.Path, port.Port),
                    $"{service.Name}:{port.Port}");
            }
        }
    }

    /// <summary>
    /// Without default deny, a service that no call names has no ALLOW policy and stays open to every caller: an ALLOW
    /// policy of its own, even one that only lets Prometheus or Flagger's load tester in, would deny everybody else.
    /// </summary>
    [Fact]
    public void Without_default_deny_a_service_nobody_calls_stays_open_on_every_data_plane()
    {
        var stranger = CallGraph.Principal("shop", "stranger");

        var sidecars = IstioStacks.Variant("dev", NobodyCallsPayments, NoDefaultDeny("dev"));
        var payments = sidecars.Service("payments");
        var sidecarObjects = Stacks.Objects(MeshPlanner.Plan(sidecars));
        Assert.DoesNotContain(sidecarObjects.OfKind("AuthorizationPolicy"), p => p.Namespace() == "payments");
        var model = new IstioAuthorizationModel(sidecarObjects, IstioNames.RootNamespace);
        Assert.True(model.Allows("payments", Labels(payments), stranger, "DELETE", "/payments/1", 8080));
        // ...while orders, which api-gateway calls, admits only its callers.
        Assert.False(model.Allows("shop", Labels(sidecars.Service("orders")), stranger, "GET", "/orders", 8080));

        var ambient = IstioStacks.Variant(AmbientStacks.Dev, NobodyCallsPayments, NoDefaultDeny(AmbientStacks.Dev));
        Assert.True(ambient.Observability.Prometheus);
        var ambientModel = new AmbientPolicyModel(AmbientStacks.Objects(ambient));
        Assert.Equal(Verdict.Allowed, ambientModel.Decide(stranger, "payments", "payments", 8080, "DELETE", "/payments/1"));
        Assert.Equal(Verdict.Allowed, ambientModel.Decide(IstioObservabilityPlanner.PrometheusPrincipal, "payments", "payments", 8080, "GET", "/metrics", viaService: false));

        var progressive = IstioStacks.Variant("dev-progressive", NobodyCallsPayments, LoadTestedPayments, NoDefaultDeny("dev-progressive"));
        var progressiveObjects = Stacks.Objects(MeshPlanner.Plan(progressive));
        var progressiveModel = new IstioAuthorizationModel(progressiveObjects, IstioNames.RootNamespace);
        var pods = FlaggerPods(progressive.Service("payments"));
        Assert.True(progressiveModel.Allows("payments", pods, stranger, "DELETE", "/payments/1", 8080));
        Assert.True(progressiveModel.Allows("payments", pods, LoadTester, "GET", "/payments/load", 8080));
    }

    /// <summary>Under default deny a service nobody calls still lets in what the mesh itself needs: Prometheus (ambient), Flagger's load tester.</summary>
    [Fact]
    public void Under_default_deny_a_service_nobody_calls_is_still_scraped_and_load_tested_and_nothing_else()
    {
        var stranger = CallGraph.Principal("shop", "stranger");

        var ambient = IstioStacks.Variant(AmbientStacks.Dev, NobodyCallsPayments);
        Assert.True(ambient.Security.DefaultDeny);
        var ambientModel = new AmbientPolicyModel(AmbientStacks.Objects(ambient));
        Assert.Equal(Verdict.Allowed, ambientModel.Decide(IstioObservabilityPlanner.PrometheusPrincipal, "payments", "payments", 8080, "GET", "/metrics", viaService: false));
        Assert.NotEqual(Verdict.Allowed, ambientModel.Decide(stranger, "payments", "payments", 8080, "GET", "/metrics"));

        var progressive = IstioStacks.Variant("dev-progressive", NobodyCallsPayments, LoadTestedPayments);
        Assert.True(progressive.Security.DefaultDeny);
        var model = new IstioAuthorizationModel(Stacks.Objects(MeshPlanner.Plan(progressive)), IstioNames.RootNamespace);
        var pods = FlaggerPods(progressive.Service("payments"));
        Assert.True(model.Allows("payments", pods, LoadTester, "GET", "/payments/load", 8080));
        Assert.False(model.Allows("payments", pods, LoadTester, "POST", "/payments/load", 8080));
        Assert.False(model.Allows("payments", pods, LoadTester, "GET", "/payments/1", 8080));
        Assert.False(model.Allows("payments", pods, stranger, "GET", "/payments/load", 8080));
    }

    /// <summary>
    /// A waypoint reads only policies that target it or a Service (pilot/pkg/model/policyattachment.go), so namespace-wide
    /// default deny does not reach it: it has its own. A Service enrolled on the waypoint later (by another team, with
    /// <c>istio.io/use-waypoint</c>) gets nothing through it until a policy allows its callers.
    /// </summary>
    [Fact]
    public void Under_default_deny_a_waypoint_lets_nothing_through_to_a_service_no_policy_names()
    {
        var settings = Stacks.Settings(AmbientStacks.Dev);
        var objects = AmbientStacks.Objects(settings).ToList();
        var orders = objects.OfKind("Service").Single(s => s.Namespace() == "shop" && s.Name() == "orders");
        Assert.Equal(Waypoints.Name, orders.Label("istio.io/use-waypoint"));
        var enrolled = orders.DeepClone().AsObject();
        enrolled["metadata"]!["name"] = "reports";
        objects.Add(enrolled);

        var model = new AmbientPolicyModel(objects);
        Assert.Equal(Verdict.Forbidden, model.Decide(CallGraph.Principal(settings.Service("api-gateway")), "shop", "reports", 8080, "GET", "/orders"));
        Assert.Equal(Verdict.Allowed, model.Decide(CallGraph.Principal(settings.Service("api-gateway")), "shop", "orders", 8080, "GET", "/orders"));
    }

    private static readonly string LoadTester = CallGraph.Principal("flagger-system", "flagger-loadtester");

    /// <summary>orders no longer calls payments, which then has no caller at all.</summary>
    private static IstioStacks.Edit NobodyCallsPayments =>
        new("Pulumi.yaml", "          - service: payments\n            methods: [POST]\n            paths: [/payments, /payments/*]\n", "");

    /// <summary>payments calls catalog with any method on any path.</summary>
    private static IstioStacks.Edit PaymentsCallsCatalog =>
        new("Pulumi.yaml", "        externalHosts: [api.stripe.com]\n", "        externalHosts: [api.stripe.com]\n        calls: [catalog]\n");

    private static IstioStacks.Edit LoadTestedPayments => new(
        "Pulumi.dev-progressive.yaml", "        iterations: 5\n", "        iterations: 5\n        loadTest: {path: /payments/load, requestsPerSecond: 5}\n");

    private static IstioStacks.Edit NoDefaultDeny(string stack) => stack switch
    {
        "dev" => new("Pulumi.dev.yaml", "    mtls: PERMISSIVE\n", "    mtls: PERMISSIVE\n    defaultDeny: false\n"),
        AmbientStacks.Dev => new($"Pulumi.{stack}.yaml", "    defaultDeny: true\n", "    defaultDeny: false\n"),
        _ => new($"Pulumi.{stack}.yaml", "    mtls: STRICT\n", "    mtls: STRICT\n    defaultDeny: false\n"),
    };

    private static IstioStacks.Edit PublicBelow(string prefixes) =>
        new("Pulumi.yaml", "          host: api.acme.example\n", $"          host: api.acme.example\n          paths: [{prefixes}]\n");

    private static Dictionary<string, string> Labels(ServiceSettings service) => new() { ["app"] = service.Name };

    /// <summary>The labels of a progressive service's pods: Flagger keeps <c>app.kubernetes.io/name</c> on primary and canary alike.</summary>
    private static Dictionary<string, string> FlaggerPods(ServiceSettings service) =>
        new() { ["app"] = service.Name + "-primary", ["app.kubernetes.io/name"] = service.Name };

    private static IEnumerable<string> ValidationErrors(JsonObject rule)
    {
        if (rule["from"] is JsonArray from)
        {
            if (from.Count == 0)
            {
                yield return "`from` must not be empty";
            }

            foreach (var source in from.Items().Select(f => f["source"] as JsonObject))
            {
                if (source is null || source.Count == 0)
                {
                    yield return "`from.source` must not be empty";
                }
                else if (source.Any(field => field.Value is JsonArray values && (values.Count == 0 || values.Any(v => string.IsNullOrEmpty((string?)v)))))
                {
                    yield return "empty value in `from.source`";
                }
            }
        }

        if (rule["to"] is JsonArray to)
        {
            if (to.Count == 0)
            {
                yield return "`to` must not be empty";
            }

            foreach (var operation in to.Items().Select(t => t["operation"] as JsonObject))
            {
                if (operation is null || operation.Count == 0)
                {
                    yield return "`to.operation` must not be empty";
                }
                else if (operation.Any(field => field.Value is JsonArray values && (values.Count == 0 || values.Any(v => string.IsNullOrEmpty((string?)v)))))
                {
                    yield return "empty value in `to.operation`";
                }
                else if (operation["ports"].Strings().Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535))
                {
                    yield return "`to.operation.ports` must be port numbers";
                }
            }
        }
    }

    private static IEnumerable<JsonObject> AllowPolicies(IEnumerable<JsonObject> objects) =>
        objects.OfKind("AuthorizationPolicy").Where(p => (string?)p.Spec()["action"] == "ALLOW");

    private static List<string> Principals(JsonObject rule) =>
        [.. rule["from"].Items().SelectMany(f => f["source"]!["principals"].Strings())];
}
