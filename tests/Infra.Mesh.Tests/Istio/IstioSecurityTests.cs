using System.Text.Json.Nodes;
using Infra.Mesh.Istio;
using Infra.Mesh.Planner;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
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

    private static IEnumerable<JsonObject> AllowPolicies(IEnumerable<JsonObject> objects) =>
        objects.OfKind("AuthorizationPolicy").Where(p => (string?)p.Spec()["action"] == "ALLOW");

    private static List<string> Principals(JsonObject rule) =>
        [.. rule["from"].Items().SelectMany(f => f["source"]!["principals"].Strings())];
}
