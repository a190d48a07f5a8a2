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
    public static IReadOnlyList<VerificationJob> JobsOf(StackSettings settings)
    {
        var mesh = MeshPlanner.MeshFor(settings);
        return VerificationPlanner.Jobs(settings, mesh.Injection, mesh.Proxy);
    }

    private static string Host(VerificationCheck check) => new Uri(check.Url).Host;

    private static string HostOf(ServiceSettings service) => $"{service.Name}.{service.Namespace}.svc.cluster.local";

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    [InlineData("dev-linkerd")]
    public void Every_declared_call_is_checked_once_from_the_callers_own_identity_with_the_verification_request(string stack)
    {
        var settings = Stacks.Settings(stack);
        var jobs = JobsOf(settings);

        foreach (var edge in CallGraph.Of(settings).Edges)
        {
            var job = Assert.Single(jobs, j => j.Stem == $"verify-calls-{edge.Caller.Name}");
            Assert.Equal(edge.Caller.ServiceAccount, job.ServiceAccount);
            Assert.Equal(edge.Caller.Namespace, job.Namespace);
            var check = Assert.Single(job.Checks, c => c.Kind == CheckKind.Allowed && Host(c) == HostOf(edge.Callee));
            Assert.Equal($"{edge.Caller.Name} -> {edge.Callee.Name}", check.Edge);
            Assert.Equal(settings.Verification.Path, new Uri(check.Url).AbsolutePath);
            Assert.Equal(VerificationPlanner.VerifiedPort(edge.Callee)!.Port, new Uri(check.Url).Port);
        }

        Assert.Equal(CallGraph.Of(settings).Edges.Length, jobs.SelectMany(j => j.Checks).Count(c => c.Kind == CheckKind.Allowed));
    }

    [Fact]
    public void No_check_sends_a_business_request_every_one_is_a_get_of_the_verification_path()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "infra:environment: prod", "infra:environment: prod\n  infra:verification:\n    path: /_infra/verify");
        var settings = StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "prod"));
        var checks = JobsOf(settings).SelectMany(j => j.Checks).ToList();

        Assert.NotEmpty(checks);
        Assert.All(checks, c => Assert.Equal("/_infra/verify", new Uri(c.Url).AbsolutePath));
        // orders may only POST /payments: the old check POSTed there; no line now carries a method or a business path.
        Assert.DoesNotContain(checks, c => c.ToLine().Contains("POST", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    public void An_uninjected_caller_is_checked_by_an_uninjected_pod_under_its_own_account(string stack)
    {
        var settings = Stacks.Settings(stack);
        settings = settings with { Services = [.. settings.Services.Select(s => s.Name == "orders" ? s with { Injected = false } : s)] };
        var mesh = MeshPlanner.MeshFor(settings);
        var orders = settings.Service("orders");

        var job = Assert.Single(JobsOf(settings), j => j.Stem == "verify-calls-orders");

        Assert.False(job.Meshed);
        Assert.Equal("orders", job.ServiceAccount);
        AssertSame(mesh.Injection.OptOut, job.Pod);
        AssertSame(mesh.Injection.PodTemplate(orders), job.Pod);
        // payments is injected: its proxy is on the path, so its evidence is still required.
        Assert.All(job.Checks, c => Assert.True(c.Proxied));

        var plan = MeshPlanner.Plan(settings);
        var rendered = Stacks.Objects(plan).OfKind("Job").Single(j => Labels(j)["app"]!.ToString() == "verify-calls-orders");
        Assert.Equal("unmeshed", (string?)rendered["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]![3]);
        var podMeta = rendered["spec"]!["template"]!["metadata"]!;
        Assert.True(
            (string?)podMeta["labels"]?["sidecar.istio.io/inject"] == "false" || (string?)podMeta["annotations"]?["linkerd.io/inject"] == "disabled");
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    public void An_injected_caller_is_checked_by_a_pod_injected_like_the_callers_own(string stack)
    {
        var settings = Stacks.Settings(stack);
        var mesh = MeshPlanner.MeshFor(settings);
        var job = Assert.Single(JobsOf(settings), j => j.Stem == "verify-calls-orders");

        Assert.True(job.Meshed);
        foreach (var (key, value) in mesh.Injection.PodTemplate(settings.Service("orders")).Annotations.Concat(mesh.Proxy.RunToCompletion.Annotations))
        {
            Assert.Equal(value, job.Pod.Annotations[key]);
        }
    }

    [Theory]
    [InlineData("prod")]
    [InlineData("dev-linkerd")]
    public void Each_namespace_checks_that_its_own_guarded_services_refuse_an_identity_nobody_allowed(string stack)
    {
        var settings = Stacks.Settings(stack);
        var denied = JobsOf(settings).Where(j => j.Stem == "verify-denied").ToList();

        Assert.Equal(settings.Namespaces.Order(), denied.Select(j => j.Namespace).Order());
        foreach (var job in denied)
        {
            Assert.True(job.Meshed);
            Assert.Equal(VerificationPlanner.VerifierAccount, job.ServiceAccount);
            Assert.All(job.Checks, c => Assert.Equal(CheckKind.Denied, c.Kind));
            // Only its own namespace: no Job grows with the rest of the catalog.
            Assert.Equal(
                settings.Services.Where(s => s.Namespace == job.Namespace).Select(HostOf).Order(),
                job.Checks.Select(Host).Order());
        }
    }

    [Fact]
    public void On_linkerd_every_injected_service_is_guarded_by_its_servers_even_without_default_deny()
    {
        var settings = Stacks.Settings("dev-linkerd");
        Assert.False(settings.Security.DefaultDeny);

        var refused = JobsOf(settings).SelectMany(j => j.Checks).Where(c => c.Kind == CheckKind.Denied).Select(Host).ToHashSet();

        // catalog: nobody calls it, but its Servers deny everything not authorized.
        Assert.Contains(HostOf(settings.Service("catalog")), refused);
    }

    [Fact]
    public void On_istio_without_default_deny_only_services_with_an_allow_list_are_expected_to_refuse()
    {
        var dev = Stacks.Settings("dev");
        var open = dev with
        {
            Security = dev.Security with { DefaultDeny = false },
            Services = [.. dev.Services.Select(s => s with { Calls = [.. s.Calls.Where(c => c.Service != "catalog")] })],
        };

        var refused = JobsOf(open).SelectMany(j => j.Checks).Where(c => c.Kind == CheckKind.Denied).Select(c => Host(c).Split('.')[0]).ToHashSet();

        Assert.DoesNotContain("catalog", refused); // nobody calls it: nothing restricts it without default deny
        Assert.Contains("orders", refused);        // api-gateway's allow rule makes everyone else refused
        Assert.Contains("api-gateway", refused);   // public: only the ingress gateway is allowed
    }

    [Theory]
    [InlineData("prod", 4)]        // STRICT everywhere
    [InlineData("dev-linkerd", 4)] // STRICT
    [InlineData("dev", 0)]         // PERMISSIVE: plain text is accepted by design
    public void Where_mtls_is_strict_an_uninjected_probe_checks_every_port_refuses_plain_text(string stack, int ports)
    {
        var settings = Stacks.Settings(stack);
        var mesh = MeshPlanner.MeshFor(settings);
        var plain = JobsOf(settings).Where(j => j.Stem == "verify-mtls").ToList();

        Assert.Equal(ports, plain.SelectMany(j => j.Checks).Count() - (stack == "dev" ? 0 : 1)); // catalog has two ports
        foreach (var job in plain)
        {
            Assert.False(job.Meshed);
            AssertSame(mesh.Injection.OptOut, job.Pod);
            Assert.All(job.Checks, c => Assert.Equal(CheckKind.Refused, c.Kind));
            var expected = settings.Services.Where(s => s.Namespace == job.Namespace && s.Injected)
                .SelectMany(s => s.Ports.Select(p => $"{HostOf(s)}:{p.Port}")).Order();
            Assert.Equal(expected, job.Checks.Select(c => $"{Host(c)}:{new Uri(c.Url).Port}").Order());
        }
    }

    [Theory]
    [InlineData("prod", true)]
    [InlineData("dev-linkerd", true)]
    [InlineData("prod", false)]
    public void Ports_an_opened_call_reaches_in_plain_text_are_not_expected_to_refuse_it(string stack, bool restricted)
    {
        // orders runs without a proxy and its calls are opened to plain text (calls[].unauthenticated).
        var settings = Stacks.Settings(stack);
        var opened = settings with
        {
            Services = [.. settings.Services.Select(s => s.Name != "orders" ? s : s with
            {
                Injected = false,
                Calls = [.. s.Calls.Select(c => (restricted ? c : c with { Methods = [], Paths = [] }) with { Unauthenticated = true })],
            })],
        };
        var graph = CallGraph.Of(opened);
        var openedPorts = graph.Edges.Where(e => e.Call.Unauthenticated).SelectMany(e => e.PlainTextPorts.Select(p => $"{HostOf(e.Callee)}:{p.Port}")).ToHashSet();
        var checkedPorts = JobsOf(opened).Where(j => j.Stem == "verify-mtls").SelectMany(j => j.Checks).Select(c => $"{Host(c)}:{new Uri(c.Url).Port}").ToHashSet();
        var before = JobsOf(settings).Where(j => j.Stem == "verify-mtls").SelectMany(j => j.Checks).Select(c => $"{Host(c)}:{new Uri(c.Url).Port}").ToHashSet();

        Assert.NotEmpty(openedPorts);
        Assert.Empty(checkedPorts.Intersect(openedPorts));
        // Everything else is still checked: only the opened ports and the now uninjected caller's own ports left.
        var orders = opened.Services.Single(s => s.Name == "orders");
        Assert.Equal(before.Except(openedPorts).Except(orders.Ports.Select(p => $"{HostOf(orders)}:{p.Port}")).Order(), checkedPorts.Order());
    }

    [Theory]
    [InlineData("prod")]
    [InlineData("dev-linkerd")]
    public void A_service_scaled_to_zero_is_not_called_by_any_check(string stack)
    {
        var settings = Stacks.Settings(stack);
        var callee = CallGraph.Of(settings).Edges.Select(e => e.Callee).First(s => s.Canary is null);
        var idle = settings with
        {
            Services = [.. settings.Services.Select(s => s.Name != callee.Name ? s : s with
            {
                Replicas = 0,
                Autoscaling = s.Autoscaling with { Enabled = false },
            })],
        };

        var hosts = JobsOf(idle).SelectMany(j => j.Checks).Select(Host).ToHashSet();

        Assert.Contains(HostOf(callee), JobsOf(settings).SelectMany(j => j.Checks).Select(Host));
        Assert.DoesNotContain(HostOf(callee), hosts);
    }

    [Fact]
    public void A_namespace_made_permissive_is_not_plain_text_checked()
    {
        var prod = Stacks.Settings("prod");
        var mixed = prod with { Security = prod.Security with { NamespaceMtls = prod.Security.NamespaceMtls.SetItem("shop", MtlsMode.Permissive) } };

        var namespaces = JobsOf(mixed).Where(j => j.Stem == "verify-mtls").Select(j => j.Namespace).ToList();

        Assert.DoesNotContain("shop", namespaces);
        Assert.Contains("payments", namespaces);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    public void A_canary_is_checked_for_its_share_and_its_header_route_by_a_caller(string stack)
    {
        var settings = Stacks.Settings(stack);
        var orders = settings.Service("orders");
        var canary = orders.Canary!;
        var job = Assert.Single(JobsOf(settings), j => j.Stem == "verify-calls-api-gateway");

        var split = Assert.Single(job.Checks, c => c.Kind == CheckKind.Split);
        Assert.Equal(HostOf(orders), Host(split));
        Assert.Equal(settings.Verification.CanaryRequests, split.Requests);
        var tolerance = CanaryTolerance.Of(split.Requests, canary.Weight);
        Assert.Equal((tolerance.Min, tolerance.Max), (split.Min, split.Max));
        Assert.Equal((8, 35), (split.Min, split.Max)); // 200 requests at 10 %: the exact 99.9 % binomial range
        Assert.Equal($"split|api-gateway -> orders canary 10%|{split.Url}|proxied|200|8|35\n", split.ToLine());

        var header = Assert.Single(job.Checks, c => c.Kind == CheckKind.Header);
        Assert.Equal($"{canary.HeaderName}: {canary.HeaderValue}", header.Header);
        Assert.Equal(VerificationPlanner.HeaderRequests, header.Requests);
        Assert.Equal(header.Requests, header.Min);
    }

    [Fact]
    public void Every_job_is_retried_by_the_next_up_until_it_succeeds_and_runs_its_checks_from_mounted_data()
    {
        var plan = Stacks.Plan("prod");
        var objects = Stacks.Objects(plan).Where(o => Labels(o)["app.kubernetes.io/component"]?.ToString() == VerificationPlanner.Component).ToList();
        var jobs = objects.OfKind("Job").ToList();

        Assert.NotEmpty(jobs);
        foreach (var job in jobs)
        {
            Assert.Equal("true", (string?)job["metadata"]!["annotations"]!["pulumi.com/replaceUnready"]);
            var pod = job["spec"]!["template"]!["spec"]!;
            var command = pod["containers"]![0]!["command"]!.AsArray().Select(n => (string)n!).ToList();
            Assert.Equal(["sh", "/verify/verify.sh", "/checks/checks.txt"], command.Take(3));
            Assert.Null(pod["containers"]![0]!["args"]);
            var checksMap = (string)pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "checks")!["configMap"]!["name"]!;
            var ns = (string)job["metadata"]!["namespace"]!;
            Assert.Equal((string)job["metadata"]!["name"]!, checksMap);
            Assert.NotEmpty((string)ConfigMap(objects, ns, checksMap)["data"]!["checks.txt"]!);
            Assert.NotNull(ConfigMap(objects, ns, VerificationPlanner.ScriptConfigMap)["data"]!["verify.sh"]);
        }
    }

    [Fact]
    public void The_check_image_comes_from_the_stack_for_private_registries()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "infra:environment: dev", "infra:environment: dev\n  infra:verification:\n    image: registry.acme.internal/mirror/curl:8.11.1");
        var plan = MeshPlanner.Plan(StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev")));

        var images = Stacks.Objects(plan).OfKind("Job").Select(j => (string?)j["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]).Distinct();

        Assert.Equal(["registry.acme.internal/mirror/curl:8.11.1"], images);
    }

    [Theory]
    [InlineData("image: curl", "infra:verification.image")]
    [InlineData("path: /verify/*", "infra:verification.path")]
    [InlineData("path: verify", "infra:verification.path")]
    [InlineData("canaryRequests: 5", "infra:verification.canaryRequests")]
    public void Bad_verification_settings_are_reported_with_their_key(string setting, string key)
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "infra:environment: dev", $"infra:environment: dev\n  infra:verification:\n    {setting}");

        var error = Assert.Throws<SettingsException>(() => StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev")));

        Assert.Contains(error.Errors, e => e.Key == key && e.File == "Pulumi.dev.yaml");
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

    [Theory]
    [InlineData("verify-calls-orders", null, "verify-calls-orders-0123abcd")]
    [InlineData("verify-denied", 3, "verify-denied-3-0123abcd")]
    public void Job_names_are_the_stem_part_and_revision(string stem, int? part, string expected) =>
        Assert.Equal(expected, VerificationPlanner.JobName(stem, part, "0123abcd"));

    [Fact]
    public void Job_names_of_long_service_names_stay_within_the_label_limit_and_distinct()
    {
        var a = VerificationPlanner.JobName("verify-calls-" + new string('a', 60), 12, "0123abcd");
        var b = VerificationPlanner.JobName("verify-calls-" + new string('a', 59) + "b", 12, "0123abcd");

        Assert.InRange(a.Length, 1, 63);
        Assert.Matches(Names.Dns1123Label(), a);
        Assert.NotEqual(a, b);
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
        foreach (var job in jobs.Where(j => Labels(j)["app"]!.ToString() != "verify-mtls"))
        {
            var pod = job["spec"]!["template"]!;
            Assert.Equal("Never", (string?)pod["spec"]!["restartPolicy"]);
            Assert.Equal("true", (string?)pod["metadata"]!["annotations"]!["sidecar.istio.io/nativeSidecar"]);
            Assert.True((bool?)pod["spec"]!["securityContext"]!["runAsNonRoot"]);
            var container = pod["spec"]!["containers"]![0]!;
            Assert.Equal("ALL", (string?)container["securityContext"]!["capabilities"]!["drop"]![0]);
            Assert.False((bool?)container["securityContext"]!["allowPrivilegeEscalation"]);
            Assert.NotEqual("orders", (string?)pod["metadata"]!["labels"]!["app"]);
        }
    }

    private static void AssertSame(Infra.Mesh.Workloads.MeshMetadata expected, Infra.Mesh.Workloads.MeshMetadata actual)
    {
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.Annotations, actual.Annotations);
    }

    private static JsonObject ConfigMap(IEnumerable<JsonObject> objects, string ns, string name) => objects.OfKind("ConfigMap")
        .Single(o => (string?)o["metadata"]!["namespace"] == ns && (string?)o["metadata"]!["name"] == name);

    private static JsonObject Labels(JsonObject obj) => obj["metadata"]!["labels"]!.AsObject();

    private static List<string> JobNames(StackFiles files) =>
        [.. MeshPlanner.Plan(StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev")))
            .Stage(StageKind.Verification).Items.OfType<ManifestItem>().Where(m => m.Kind == "Job").Select(m => m.Name)];

    private static string Stem(string name) => name[..name.LastIndexOf('-')];

    [Fact]
    public void Verification_jobs_and_their_checks_declare_the_fingerprint_their_names_end_with()
    {
        var plan = Stacks.Plan("dev");
        var items = plan.Stages.SelectMany(s => s.Items).ToList();
        var jobs = items.OfType<ManifestItem>().Where(m => m.Kind == "Job").ToList();
        var fingerprinted = items.Where(i => i.FingerprintSuffix is not null).ToList();

        Assert.NotEmpty(jobs);
        Assert.All(fingerprinted, item => Assert.EndsWith("-" + item.FingerprintSuffix, ((ManifestItem)item).Name, StringComparison.Ordinal));
        Assert.Single(fingerprinted.Select(j => j.FingerprintSuffix).Distinct());
        // Exactly the Jobs and the checks ConfigMap each one mounts (named like it): everything else keeps its name.
        Assert.Equal(
            jobs.Select(j => j.Name).Order(StringComparer.Ordinal),
            fingerprinted.Where(i => i is ManifestItem { Kind: "Job" }).Select(i => ((ManifestItem)i).Name).Order(StringComparer.Ordinal));
        Assert.Equal(
            jobs.Select(j => (j.Namespace, j.Name)).Order(),
            fingerprinted.OfType<ManifestItem>().Where(m => m.Kind == "ConfigMap").Select(m => (m.Namespace, m.Name)).Order());
    }
}
