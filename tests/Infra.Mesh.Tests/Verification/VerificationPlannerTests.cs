using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Testing.Support;
using Infra.Mesh.Verification;

namespace Infra.Mesh.Tests.Verification;

public class VerificationPlannerTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    [InlineData("dev-linkerd")]
    public void Every_declared_call_is_checked_once_from_the_callers_own_identity(string stack)
    {
        var settings = Stacks.Settings(stack);
        var jobs = VerificationPlanner.Jobs(settings, MeshPlanner.MeshFor(settings).Proxy);

        foreach (var edge in CallGraph.Of(settings).Edges)
        {
            var job = Assert.Single(jobs, j => j.Name == $"verify-{edge.Caller.Name}");
            Assert.Equal(edge.Caller.ServiceAccount, job.ServiceAccount);
            Assert.Equal(edge.Caller.Namespace, job.Namespace);
            var check = Assert.Single(job.Checks, c => new Uri(c.Url).Host == $"{edge.Callee.Name}.{edge.Callee.Namespace}.svc.cluster.local");
            Assert.Equal(Expectation.Allowed, check.Expect);
        }

        var allowed = jobs.SelectMany(j => j.Checks).Count(c => c.Expect == Expectation.Allowed);
        Assert.Equal(CallGraph.Of(settings).Edges.Length, allowed);
    }

    [Fact]
    public void Each_namespace_proves_an_identity_nobody_allowed_is_refused_by_every_service()
    {
        var settings = Stacks.Settings("prod");
        var denied = VerificationPlanner.Jobs(settings, MeshPlanner.MeshFor(settings).Proxy).Where(j => j.ServiceAccount == VerificationPlanner.VerifierAccount).ToList();

        Assert.Equal(settings.Namespaces.Order(), denied.Select(j => j.Namespace).Order());
        foreach (var job in denied)
        {
            Assert.All(job.Checks, c => Assert.Equal(Expectation.Denied, c.Expect));
            Assert.Equal(settings.Services.Select(s => s.Name).Order(), job.Checks.Select(c => new Uri(c.Url).Host.Split('.')[0]).Order());
        }
    }

    [Fact]
    public void Without_default_deny_only_services_with_an_allow_list_are_expected_to_refuse()
    {
        var dev = Stacks.Settings("dev");
        var open = dev with
        {
            Security = dev.Security with { DefaultDeny = false },
            Services = [.. dev.Services.Select(s => s with { Calls = [.. s.Calls.Where(c => c.Service != "catalog")] })],
        };

        var refused = VerificationPlanner.Jobs(open, MeshPlanner.MeshFor(open).Proxy).Where(j => j.ServiceAccount == VerificationPlanner.VerifierAccount)
            .SelectMany(j => j.Checks).Select(c => new Uri(c.Url).Host.Split('.')[0]).ToHashSet();

        Assert.DoesNotContain("catalog", refused); // nobody calls it: nothing restricts it without default deny
        Assert.Contains("orders", refused);        // api-gateway's allow rule makes everyone else refused
        Assert.Contains("api-gateway", refused);   // public: only the ingress gateway is allowed
    }

    [Fact]
    public void Declared_methods_and_paths_are_what_the_allowed_checks_send()
    {
        var jobs = VerificationPlanner.Jobs(Stacks.Settings("dev"), new Infra.Mesh.Istio.IstioProxyProbe());

        var ordersToPayments = jobs.Single(j => j.Name == "verify-orders").Checks.Single(c => c.Url.Contains("payments.payments", StringComparison.Ordinal));
        Assert.Equal("POST", ordersToPayments.Method);
        Assert.Equal("/payments", new Uri(ordersToPayments.Url).AbsolutePath);
    }

    [Fact]
    public void Jobs_are_renamed_when_anything_else_in_the_plan_changes_so_the_next_up_verifies_again()
    {
        using var files = new StackFiles();
        var before = JobNames(files);
        files.Replace("Pulumi.dev.yaml", "api-gateway:\n      replicas: 1", "api-gateway:\n      replicas: 2");
        var after = JobNames(files);
        var again = JobNames(files);

        Assert.Equal(after, again);
        Assert.Empty(before.Intersect(after));
        Assert.Equal(before.Select(Stem), after.Select(Stem));
    }

    [Fact]
    public void Verification_can_be_switched_off_per_stack()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "infra:environment: dev", "infra:environment: dev\n  infra:verification:\n    enabled: false");
        var plan = MeshPlanner.Plan(StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev")));

        Assert.Empty(plan.Stage(StageKind.Verification).Items);
    }

    [Fact]
    public void Job_pods_run_restricted_as_the_checked_identity_and_let_the_proxy_finish()
    {
        var plan = Stacks.Plan("dev");
        var jobs = Stacks.Objects(plan).OfKind("Job").ToList();

        Assert.NotEmpty(jobs);
        foreach (var job in jobs)
        {
            var pod = job["spec"]!["template"]!;
            Assert.Equal("Never", (string?)pod["spec"]!["restartPolicy"]);
            Assert.Equal("true", (string?)pod["metadata"]!["annotations"]!["sidecar.istio.io/nativeSidecar"]);
            Assert.True((bool?)pod["spec"]!["securityContext"]!["runAsNonRoot"]);
            var container = pod["spec"]!["containers"]![0]!;
            Assert.Equal("ALL", (string?)container["securityContext"]!["capabilities"]!["drop"]![0]);
            Assert.False((bool?)container["securityContext"]!["allowPrivilegeEscalation"]);
            Assert.NotEqual(Labels(job)["app"], "orders");
        }
    }

    private static JsonObject Labels(JsonObject obj) => obj["metadata"]!["labels"]!.AsObject();

    private static List<string> JobNames(StackFiles files) =>
        [.. MeshPlanner.Plan(StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev")))
            .Stage(StageKind.Verification).Items.OfType<ManifestItem>().Where(m => m.Kind == "Job").Select(m => m.Name)];

    private static string Stem(string name) => name[..name.LastIndexOf('-')];
}
