using CsCheck;
using Infra.Mesh.Istio;
using Infra.Mesh.Planner;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Testing.Support;
using Infra.Mesh.Verification;
using Infra.Testing;

namespace Infra.Mesh.Tests.Istio.Ambient;

/// <summary>
/// Default deny and the declared call graph hold in ambient, judged by <see cref="AmbientPolicyModel"/> over the rendered
/// objects, for the dev-ambient stack and for generated catalogs.
/// </summary>
public class AmbientPolicyTests
{
    private static readonly StackSettings DevAmbient = Stacks.Settings(AmbientStacks.Dev);

    [Fact]
    public void Dev_ambient_allows_exactly_the_declared_calls()
    {
        AssertCallGraphHolds(DevAmbient);
    }

    [Fact]
    public void Callee_side_l7_rules_see_the_caller_and_ztunnel_sees_the_waypoint()
    {
        var objects = AmbientStacks.Objects(DevAmbient);
        var model = new AmbientPolicyModel(objects);
        var gateway = DevAmbient.Service("api-gateway");

        // At the waypoint: api-gateway may GET /orders/42 but not DELETE it, nor GET /admin.
        Assert.Equal(Verdict.Allowed, model.Decide(CallGraph.Principal(gateway), "shop", "orders", 8080, "GET", "/orders/42"));
        Assert.Equal(Verdict.Forbidden, model.Decide(CallGraph.Principal(gateway), "shop", "orders", 8080, "DELETE", "/orders/42"));
        Assert.Equal(Verdict.Forbidden, model.Decide(CallGraph.Principal(gateway), "shop", "orders", 8080, "GET", "/admin"));
        // Dialling an orders pod directly skips the waypoint, so ztunnel refuses the caller's own identity...
        Assert.Equal(Verdict.Refused, model.Decide(CallGraph.Principal(gateway), "shop", "orders", 8080, "GET", "/orders/42", viaService: false));
        // ...and lets the waypoint's through instead (besides Prometheus, on the metrics port).
        var ztunnelRules = objects.OfKind("AuthorizationPolicy").Single(p => p.Namespace() == "shop" && p.Name() == "orders").Spec()["rules"].Items();
        Assert.Equal(
            [CallGraph.Principal("shop", "waypoint"), CallGraph.Principal("istio-system", "prometheus")],
            ztunnelRules.SelectMany(r => r["from"].Items()).SelectMany(f => f["source"]!["principals"].Strings()));
    }

    [Fact]
    public void The_ingress_gateway_reaches_public_services_directly_on_their_port_only()
    {
        var model = new AmbientPolicyModel(AmbientStacks.Objects(DevAmbient));
        var ingress = IstioNames.IngressGatewayPrincipal(DevAmbient.Ingress);

        Assert.Equal(Verdict.Allowed, model.Decide(ingress, "storefront", "api-gateway", 8080, "GET", "/", viaService: false));
        Assert.Equal(Verdict.Refused, model.Decide(ingress, "shop", "orders", 8080, "GET", "/orders", viaService: false));
        Assert.Equal(Verdict.Refused, model.Decide(ingress, "shop", "catalog", 9090, "POST", "/", viaService: false));
    }

    [Fact]
    public void Prometheus_scrapes_every_service_on_its_metrics_port_only_with_its_own_identity()
    {
        var plan = MeshPlanner.Plan(DevAmbient);
        var model = new AmbientPolicyModel(Stacks.Objects(plan));
        var prometheus = plan.Release("prometheus").Values;
        Assert.Equal("ambient", (string?)prometheus["server"]!["podLabels"]!["istio.io/dataplane-mode"]);
        Assert.Equal("prometheus", (string?)prometheus["serviceAccounts"]!["server"]!["name"]);
        Assert.Empty(HelmChartValues.Load(ReferenceData.Path("addons", "prometheus-28.13.0", "values.yaml")).UnknownKeys(prometheus));
        var principal = CallGraph.Principal("istio-system", "prometheus");

        foreach (var service in DevAmbient.Services)
        {
            var metrics = service.Port(service.Metrics.Port).Port;
            Assert.Equal(Verdict.Allowed, model.Decide(principal, service.Namespace, service.Name, metrics, "GET", service.Metrics.Path, viaService: false));
            foreach (var other in service.Ports.Where(p => p.Port != metrics))
            {
                Assert.Equal(Verdict.Refused, model.Decide(principal, service.Namespace, service.Name, other.Port, "GET", "/", viaService: false));
            }
        }

        Assert.Contains(DevAmbient.Services, s => s.Ports.Length > 1);
        // Grafana and Kiali query the enrolled Prometheus, whose ztunnel refuses plain text under STRICT: they join too.
        Assert.Equal("ambient", (string?)plan.Release("grafana").Values["podLabels"]!["istio.io/dataplane-mode"]);
        Assert.Equal("ambient", (string?)plan.Release("kiali").Values["deployment"]!["pod_labels"]!["istio.io/dataplane-mode"]);
        Assert.Null(Stacks.Plan("dev").Release("prometheus").Values["serviceAccounts"]);
    }

    [Fact]
    public void Verification_expects_what_the_enforcement_point_answers_and_waits_for_no_sidecar()
    {
        var plan = MeshPlanner.Plan(DevAmbient);
        var proxy = MeshPlanner.MeshFor(DevAmbient).Proxy;
        AssertVerificationAgreesWithModel(DevAmbient, Stacks.Objects(plan));

        var scripts = Stacks.Objects(plan).OfKind("ConfigMap").Where(c => (string?)c["metadata"]!["name"] == VerificationPlanner.ScriptConfigMap)
            .Select(c => (string)c["data"]![VerificationScript.ScriptFile]!).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.DoesNotContain("15021", s, StringComparison.Ordinal));
        var denied = VerificationPlanner.Jobs(DevAmbient, MeshPlanner.MeshFor(DevAmbient).Injection, proxy).Where(j => j.Stem == "verify-denied").SelectMany(j => j.Checks).ToList();
        // api-gateway is on ztunnel alone: its refusal is a closed connection; the others answer 403 at their waypoint.
        Assert.Contains(denied, c => c.Url.Contains("api-gateway", StringComparison.Ordinal) && c.Kind == CheckKind.Refused);
        Assert.Contains(denied, c => c.Url.Contains("orders", StringComparison.Ordinal) && c.Kind == CheckKind.Denied);
    }

    [Fact]
    public void Default_deny_and_the_call_graph_hold_for_generated_catalogs()
    {
        Catalogs.Sample(settings =>
        {
            AssertWaypointsFollowL7Needs(settings);
            AssertCallGraphHolds(settings);
            AssertVerificationAgreesWithModel(settings, AmbientStacks.Objects(settings));
        }, iter: 60, threads: 1, print: s => string.Join("; ", s.Services.Select(Describe)));
    }

    private static void AssertWaypointsFollowL7Needs(StackSettings settings)
    {
        var objects = AmbientStacks.Objects(settings);
        foreach (var service in settings.Services)
        {
            var callers = settings.Services.SelectMany(c => c.Calls.Where(call => call.Service == service.Name)).ToList();
            var needsL7 = callers.Count > 0 && (service.Canary is not null || callers.Any(c => !c.Methods.IsEmpty || !c.Paths.IsEmpty) || !service.Traffic.Declared.IsEmpty);
            Assert.Equal(needsL7 ? "waypoint" : null, objects.Service(service).Label("istio.io/use-waypoint"));
        }

        var withWaypoint = settings.Services.Where(s => objects.Service(s).Label("istio.io/use-waypoint") is not null).Select(s => s.Namespace).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(withWaypoint, objects.OfKind("Gateway").Where(g => (string?)g.Spec()["gatewayClassName"] == "istio-waypoint").Select(g => g.Namespace()!).Order(StringComparer.Ordinal));
    }

    private static void AssertCallGraphHolds(StackSettings settings)
    {
        var model = new AmbientPolicyModel(AmbientStacks.Objects(settings));
        var verifier = CallGraph.Principal(settings.Namespaces[0], VerificationPlanner.VerifierAccount);
        foreach (var callee in settings.Services)
        {
            var port = callee.HttpPort.Port;
            foreach (var caller in settings.Services.Where(s => s != callee))
            {
                var principal = CallGraph.Principal(caller);
                var call = caller.Calls.SingleOrDefault(c => c.Service == callee.Name);
                if (call is null)
                {
                    Assert.NotEqual(Verdict.Allowed, model.Decide(principal, callee.Namespace, callee.Name, port, "GET", "/"));
                    continue;
                }

                var method = call.Methods.IsEmpty ? "GET" : call.Methods[0];
                var path = call.Paths.IsEmpty ? "/anything" : call.Paths[0].TrimEnd('*') + (call.Paths[0].EndsWith('*') ? "x" : "");
                Assert.Equal(Verdict.Allowed, model.Decide(principal, callee.Namespace, callee.Name, port, method, path));
                if (!call.Methods.IsEmpty && CallSettings.HttpMethods.Except(call.Methods).FirstOrDefault() is { } undeclared)
                {
                    Assert.Equal(Verdict.Forbidden, model.Decide(principal, callee.Namespace, callee.Name, port, undeclared, path));
                }

                if (!call.Methods.IsEmpty || !call.Paths.IsEmpty)
                {
                    // The L7 rules cannot be skipped by dialling a pod.
                    Assert.Equal(Verdict.Refused, model.Decide(principal, callee.Namespace, callee.Name, port, method, path, viaService: false));
                }
            }

            Assert.NotEqual(Verdict.Allowed, model.Decide(verifier, callee.Namespace, callee.Name, port, "GET", "/"));
        }
    }

    private static void AssertVerificationAgreesWithModel(StackSettings settings, IReadOnlyList<System.Text.Json.Nodes.JsonObject> objects)
    {
        var model = new AmbientPolicyModel(objects);
        var mesh = MeshPlanner.MeshFor(settings);
        // Meshed Jobs only: the plain-text probe is outside the mesh, with no identity the model could decide on.
        foreach (var job in VerificationPlanner.Jobs(settings, mesh.Injection, mesh.Proxy).Where(j => j.Meshed))
        {
            var principal = CallGraph.Principal(job.Namespace, job.ServiceAccount);
            foreach (var check in job.Checks)
            {
                var callee = settings.Services.Single(s => check.Url.StartsWith($"http://{s.Name}.{s.Namespace}.", StringComparison.Ordinal));
                var path = new Uri(check.Url).AbsolutePath;
                var verdict = model.Decide(principal, callee.Namespace, callee.Name, new Uri(check.Url).Port, "GET", path);
                Assert.Equal(check.Kind switch
                {
                    CheckKind.Allowed or CheckKind.Split or CheckKind.Header => Verdict.Allowed,
                    CheckKind.Denied => Verdict.Forbidden,
                    _ => Verdict.Refused,
                }, verdict);
            }
        }
    }

    private static string Describe(ServiceSettings s) =>
        $"{s.Namespace}/{s.Name}{(s.Canary is null ? "" : " canary")}{(s.Traffic.Declared.IsEmpty ? "" : " traffic")} -> "
        + string.Join(",", s.Calls.Select(c => c.Service + (c.Methods.IsEmpty ? "" : $"[{string.Join(' ', c.Methods)}]") + (c.Paths.IsEmpty ? "" : $"{{{string.Join(' ', c.Paths)}}}")));

    /// <summary>Catalogs of 1..6 services in two namespaces, with random calls (plain, or restricted to methods or paths), canaries, declared traffic and public services.</summary>
    private static Gen<StackSettings> Catalogs { get; } =
        Gen.Int[1, 6].SelectMany(count => Gen.Select(
            Gen.Int[0, 1].Array[count],
            Gen.Int[0, 3].Array[count],
            Gen.Int[0, 4].Array[count * count],
            Gen.Bool.Array[count],
            (namespaces, traits, calls, exposed) => Build(count, namespaces, traits, calls, exposed)));

    private static StackSettings Build(int count, int[] namespaces, int[] traits, int[] calls, bool[] exposed)
    {
        var template = DevAmbient.Service("catalog");
        var services = Enumerable.Range(0, count).Select(i => template with
        {
            Name = $"svc{i}",
            Namespace = namespaces[i] == 0 ? "team-a" : "team-b",
            Canary = (traits[i] & 1) == 1 ? new CanarySettings("2.0.0", 20, 1, "x-canary", "always") : null,
            Traffic = template.Traffic with { Declared = (traits[i] & 2) == 2 ? ["timeout"] : [] },
            Public = exposed[i] ? new PublicSettings($"svc{i}.example.com", ["/"]) : null,
            Calls = [.. Enumerable.Range(0, count).Where(j => j != i && calls[(i * count) + j] != 0).Select(j => Call($"svc{j}", calls[(i * count) + j]))],
            Secrets = [],
            ExternalHosts = [],
        });
        return DevAmbient with { Services = [.. services] };
    }

    /// <summary>1: any request; 2: GET and HEAD; 3: paths under /api; 4: POST on /api/orders.</summary>
    private static CallSettings Call(string service, int kind) => kind switch
    {
        2 => new CallSettings(service, ["GET", "HEAD"], []),
        3 => new CallSettings(service, [], ["/api", "/api/*"]),
        4 => new CallSettings(service, ["POST"], ["/api/orders"]),
        _ => new CallSettings(service, [], []),
    };
}
