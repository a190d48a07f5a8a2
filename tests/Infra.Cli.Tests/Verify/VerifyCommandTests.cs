using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Cli.Verify;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing;
using Infra.Testing.Support;

namespace Infra.Cli.Tests.Verify;

/// <summary>
/// <c>infra verify</c> against an in-process API server (Kestrel on 127.0.0.1) serving Kubernetes JSON, through the
/// real KubernetesClient HTTP and JSON path: a healthy cluster, then one thing broken at a time.
/// </summary>
public sealed class VerifyCommandTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("infra-verify-").FullName;
    private FakeApiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// A kubeconfig whose <paramref name="context"/> reaches <paramref name="server"/>, while its current context is
    /// another cluster (nothing listens there): a check that reaches the server used the stack's own context.
    /// </summary>
    private string Kubeconfig(string server, string context) =>
        KubeconfigFile.Write(Path.Combine(_directory, "kubeconfig"), "elsewhere", (context, server), ("elsewhere", "http://127.0.0.1:9"));

    /// <summary>A kubeconfig of dev's context reaching the fake server, with <paramref name="text"/> replaced in it.</summary>
    private string EditedKubeconfig(string text, string replacement)
    {
        var path = KubeconfigFile.Write(Path.Combine(_directory, "kubeconfig"), "kind-infra-dev", ("kind-infra-dev", _server.Url));
        var original = File.ReadAllText(path);
        Assert.Contains(text, original, StringComparison.Ordinal);
        File.WriteAllText(path, original.Replace(text, replacement, StringComparison.Ordinal));
        return path;
    }

    private static CliRun VerifyDev(string kubeconfig) =>
        InfraTool.Run("verify", "dev", "--project", Stacks.ProjectDirectory, "--kubeconfig", kubeconfig);

    /// <summary>Exit 2 with one line on stderr that names each of <paramref name="mentions"/>, and no stack trace.</summary>
    private static void AssertRefusedInOneLine(CliRun run, params string[] mentions)
    {
        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.All(mentions, m => Assert.Contains(m, run.Stderr, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', run.Stderr.Trim());
    }

    private static string ContextOf(string stack) => Stacks.Settings(stack).Kubernetes.Context!;

    private CliRun Verify(string stack, params string[] extra) =>
        InfraTool.Run(["verify", stack, "--project", Stacks.ProjectDirectory, "--kubeconfig", Kubeconfig(_server.Url, ContextOf(stack)), .. extra]);

    private MeshPlan Healthy(string stack)
    {
        var plan = Stacks.Plan(stack);
        ClusterState.Healthy(_server, plan);
        return plan;
    }

    private static JsonObject Report(CliRun run) => JsonNode.Parse(run.Stdout)!.AsObject();

    private static List<JsonObject> Failed(CliRun run) =>
        [.. Report(run)["checks"]!.AsArray().Select(c => c!.AsObject()).Where(c => !(bool)c["ok"]!)];

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    [InlineData("dev-linkerd")]
    [InlineData("dev-ambient")]
    [InlineData("dev-progressive")]
    [InlineData("dev-linkerd-progressive")]
    public void A_healthy_cluster_passes_every_check_and_exits_0(string stack)
    {
        Healthy(stack);

        var run = Verify(stack, "--format", "json");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        Assert.True((bool)Report(run)["healthy"]!, run.Stdout);
        var areas = Report(run)["checks"]!.AsArray().Select(c => (string)c!["area"]!).Distinct();
        Assert.Equal(["control plane", "proxies", "policies", "verification"], areas);
        // The real client asked the API: deployments, pods by label, custom objects, jobs.
        Assert.Contains(_server.Requests, r => r.StartsWith("GET /api/v1/namespaces/shop/pods?labelSelector=", StringComparison.Ordinal));
        Assert.Contains(_server.Requests, r => r.StartsWith("GET /apis/batch/v1/namespaces/shop/jobs/", StringComparison.Ordinal));
    }

    [Fact]
    public void The_text_report_is_a_table_with_one_row_per_check()
    {
        Healthy("dev");

        var run = Verify("dev");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Stack 'dev' (istio, dev) on context 'kind-infra-dev':", lines[0]);
        Assert.Matches("^AREA +SUBJECT +RESULT$", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("control plane", StringComparison.Ordinal) && l.Contains("Deployment istio-system/istiod-1-30-3", StringComparison.Ordinal) && l.Contains("  ok  2/2 ready", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("proxies", StringComparison.Ordinal) && l.Contains("Deployment shop/orders-canary", StringComparison.Ordinal));
        Assert.StartsWith("All ", lines[^1]);
    }

    [Theory]
    [InlineData("dev", "istio-proxy")]
    [InlineData("dev-linkerd", "linkerd-proxy")]
    public void A_pod_without_its_proxy_is_a_finding(string stack, string proxy)
    {
        Healthy(stack);
        var path = _server.Paths.First(p => p.StartsWith("/api/v1/namespaces/shop/pods/orders-5d8f7c9b4-", StringComparison.Ordinal));
        _server.Get(path)["spec"]!.AsObject().Remove("initContainers");

        var run = Verify(stack, "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var failed = Assert.Single(Failed(run));
        Assert.Equal("Deployment shop/orders", (string?)failed["subject"]);
        Assert.Contains($"no {proxy} container (not injected)", (string)failed["details"]![0]!);
    }

    [Fact]
    public void Under_progressive_delivery_the_pods_are_flaggers_primary_ones()
    {
        Healthy("dev-progressive");
        foreach (var path in _server.Paths.Where(p => p.StartsWith("/api/v1/namespaces/shop/pods/orders-primary-", StringComparison.Ordinal)).ToList())
        {
            _server.Remove(path);
        }

        var run = Verify("dev-progressive", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var failed = Assert.Single(Failed(run));
        Assert.Equal(("Deployment shop/orders", "no pods"), ((string)failed["subject"]!, (string)failed["details"]![0]!));
    }

    [Fact]
    public void On_ambient_a_pod_the_node_agent_did_not_enroll_is_a_finding()
    {
        Healthy("dev-ambient");
        var path = _server.Paths.First(p => p.StartsWith("/api/v1/namespaces/shop/pods/catalog-", StringComparison.Ordinal));
        _server.Get(path)["metadata"]!.AsObject().Remove("annotations");

        var run = Verify("dev-ambient", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var failed = Assert.Single(Failed(run));
        Assert.Equal("Deployment shop/catalog", (string?)failed["subject"]);
        Assert.EndsWith("not enrolled in the ambient mesh (no ambient.istio.io/redirection: enabled)", (string)failed["details"]![0]!);
    }

    [Fact]
    public void A_proxy_of_another_version_than_the_control_plane_is_a_finding()
    {
        Healthy("dev");
        var path = _server.Paths.First(p => p.StartsWith("/api/v1/namespaces/payments/pods/payments-", StringComparison.Ordinal));
        _server.Get(path)["spec"]!["initContainers"]![0]!["image"] = ClusterState.IstioProxyImage + "1.29.2";

        var run = Verify("dev", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var failed = Assert.Single(Failed(run));
        Assert.EndsWith("proxy version 1.29.2, control plane 1.30.3", (string)failed["details"]![0]!);
    }

    [Fact]
    public void On_linkerd_the_proxy_version_is_the_injectors_annotation()
    {
        Healthy("dev-linkerd");
        var path = _server.Paths.First(p => p.StartsWith("/api/v1/namespaces/payments/pods/payments-", StringComparison.Ordinal));
        _server.Get(path)["metadata"]!["annotations"]!["linkerd.io/proxy-version"] = "edge-26.7.1";

        var run = Verify("dev-linkerd", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        Assert.EndsWith("proxy version edge-26.7.1, control plane edge-26.8.3", (string)Assert.Single(Failed(run))["details"]![0]!);
    }

    [Fact]
    public void An_unready_pod_and_an_unready_control_plane_are_findings()
    {
        Healthy("dev");
        var pod = _server.Paths.First(p => p.StartsWith("/api/v1/namespaces/shop/pods/catalog-", StringComparison.Ordinal));
        _server.Get(pod)["status"]!["conditions"]![1]!["status"] = "False";
        _server.Get("/apis/apps/v1/namespaces/istio-system/deployments/istiod-1-30-3")["status"]!["readyReplicas"] = 1;

        var run = Verify("dev", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["Deployment istio-system/istiod-1-30-3", "Deployment shop/catalog"], Failed(run).Select(f => (string)f["subject"]!));
    }

    [Fact]
    public void A_missing_policy_object_is_a_finding()
    {
        Healthy("prod");
        Assert.True(_server.Remove("/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/orders"));

        var run = Verify("prod", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var failed = Assert.Single(Failed(run));
        Assert.Equal(("policies", "AuthorizationPolicy shop/orders", "not found"), ((string)failed["area"]!, (string)failed["subject"]!, (string)failed["details"]![0]!));
    }

    [Fact]
    public void A_drifted_spec_is_reported_field_by_field()
    {
        Healthy("prod");
        _server.Get("/apis/security.istio.io/v1/namespaces/istio-system/peerauthentications/default")["spec"]!["mtls"]!["mode"] = "PERMISSIVE";
        var allowNothing = _server.Get("/apis/security.istio.io/v1/namespaces/payments/authorizationpolicies/allow-nothing");
        allowNothing["spec"] = new JsonObject { ["rules"] = new JsonArray(new JsonObject()) };

        var run = Verify("prod");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("PeerAuthentication istio-system/default", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("spec.mtls.mode: planned \"STRICT\", live \"PERMISSIVE\"", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("spec: planned {}, live {\"rules\":[{}]}", run.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("2 of ", run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_the_api_server_adds_are_not_drift()
    {
        Healthy("dev-linkerd");
        foreach (var path in _server.Paths.Where(p => p.Contains("/httproutes/", StringComparison.Ordinal)).ToList())
        {
            // Gateway API's defaulting fills in every parentRef's group and kind.
            foreach (var parent in _server.Get(path)["spec"]!["parentRefs"]!.AsArray())
            {
                parent!["group"] ??= "gateway.networking.k8s.io";
                parent["kind"] ??= "Gateway";
            }
        }

        var run = Verify("dev-linkerd", "--format", "json");

        Assert.Equal(InfraCommand.Ok, run.ExitCode);
    }

    [Fact]
    public void A_failed_verification_job_is_a_finding_with_the_failed_checks_from_its_log()
    {
        var plan = Healthy("dev");
        var job = plan.Stage(StageKind.Verification).Items.OfType<ManifestItem>().First(m => m.Kind == "Job" && m.Name.StartsWith("verify-calls-orders-", StringComparison.Ordinal));
        _server.Get($"/apis/batch/v1/namespaces/shop/jobs/{job.Name}")["status"] = new JsonObject
        {
            ["failed"] = 2,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "BackoffLimitExceeded" }),
        };
        var pod = ClusterState.Pod("shop", $"{job.Name}-q7x2z", new Dictionary<string, string> { ["app"] = "verify-calls-orders", ["job-name"] = job.Name }, null, "", null);
        _server.Put($"/api/v1/namespaces/shop/pods/{job.Name}-q7x2z", pod);
        _server.PutLog("shop", $"{job.Name}-q7x2z",
            "ok   orders -> catalog: answered (HTTP 404)\nFAIL orders -> payments: expected an answer of the callee (below 500, through its proxy), got HTTP 503, server: envoy\n1 passed, 1 failed\n");

        var run = Verify("dev", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var failed = Assert.Single(Failed(run));
        Assert.Equal($"Job shop/{job.Name}", (string?)failed["subject"]);
        Assert.Equal(
            ["failed: BackoffLimitExceeded", "FAIL orders -> payments: expected an answer of the callee (below 500, through its proxy), got HTTP 503, server: envoy"],
            failed["details"]!.AsArray().Select(d => (string)d!));
    }

    [Fact]
    public void A_job_of_this_plan_that_never_ran_is_a_finding()
    {
        var plan = Healthy("dev");
        var job = plan.Stage(StageKind.Verification).Items.OfType<ManifestItem>().First(m => m.Kind == "Job");
        _server.Remove($"/apis/batch/v1/namespaces/{job.Namespace}/jobs/{job.Name}");

        var run = Verify("dev", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("not found", (string)Assert.Single(Failed(run))["details"]![0]!);
    }

    [Fact]
    public void A_missing_crd_version_and_a_missing_webhook_are_control_plane_findings()
    {
        Healthy("dev-linkerd");
        var crd = _server.Get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/servers.policy.linkerd.io");
        crd["spec"]!["versions"]![0]!["name"] = "v1beta2";
        _server.Remove("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/linkerd-proxy-injector-webhook-config");

        var run = Verify("dev-linkerd", "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var failed = Failed(run);
        Assert.Equal(["MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config", "CustomResourceDefinition servers.policy.linkerd.io"], failed.Select(f => (string)f["subject"]!));
        Assert.Equal("does not serve v1beta3 (serves v1beta2)", (string)failed[1]["details"]![0]!);
    }

    [Fact]
    public void An_unreachable_cluster_is_exit_2_with_a_clear_message_and_no_stack_trace()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closed = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
        probe.Stop();

        var run = InfraTool.Run("verify", "dev", "--project", Stacks.ProjectDirectory, "--kubeconfig", Kubeconfig(closed, ContextOf("dev")));

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.StartsWith($"error: cannot verify stack 'dev' on context 'kind-infra-dev' ({closed}", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("cannot reach the API server", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public void A_kubeconfig_that_is_not_yaml_is_exit_2_naming_the_file_without_a_stack_trace(string format)
    {
        var path = Path.Combine(_directory, "broken");
        File.WriteAllText(path, "garbage: [\n");

        var run = InfraTool.Run("verify", "dev", "--project", Stacks.ProjectDirectory, "--kubeconfig", path, "--format", format);

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.StartsWith($"error: cannot verify stack 'dev' on context 'kind-infra-dev': the kubeconfig {path} cannot be read:", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        if (format == "json")
        {
            Assert.False((bool)Report(run)["healthy"]!);
            Assert.Contains("cannot be read", (string)Report(run)["error"]!, StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(run.Stdout);
        }
    }

    [Fact]
    public void A_client_key_that_does_not_exist_is_exit_2()
    {
        var path = EditedKubeconfig("token: not-a-real-token", "client-certificate: /no/such.crt\n      client-key: /no/such.key");

        AssertRefusedInOneLine(VerifyDev(path), "context 'kind-infra-dev'", "/no/such.");
        Assert.Empty(_server.Requests);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_credential_plugin_is_run_for_the_token_as_kubectl_runs_it()
    {
        // EKS, GKE and AKS kubeconfigs authenticate through such a plugin (client.authentication.k8s.io/v1 ExecCredential).
        Healthy("dev");
        var plugin = Path.Combine(_directory, "credential-plugin");
        File.WriteAllText(plugin, "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"from-plugin\"}}'\n");
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = EditedKubeconfig("token: not-a-real-token", $"exec: {{apiVersion: client.authentication.k8s.io/v1, command: {plugin}, interactiveMode: Never}}");

        Assert.Equal(InfraCommand.Ok, VerifyDev(path).ExitCode);
        Assert.NotEmpty(_server.Requests);
    }

    [Fact]
    public void A_credential_plugin_that_fails_is_exit_2_in_one_line_without_a_stack_trace()
    {
        var path = EditedKubeconfig("token: not-a-real-token", "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/false, interactiveMode: Never}");

        AssertRefusedInOneLine(VerifyDev(path), "context 'kind-infra-dev'", "exec");
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void A_context_whose_cluster_is_not_defined_is_exit_2_naming_both()
    {
        var path = EditedKubeconfig("      cluster: kind-infra-dev", "      cluster: gone");

        AssertRefusedInOneLine(VerifyDev(path), "context 'kind-infra-dev' names the cluster 'gone', which the kubeconfig");
    }

    [Fact]
    public void The_kubeconfig_files_of_KUBECONFIG_are_merged_as_kubectl_merges_them()
    {
        Healthy("dev");
        var other = KubeconfigFile.Write(Path.Combine(_directory, "other"), "elsewhere", ("elsewhere", "http://127.0.0.1:9"));
        var stacks = KubeconfigFile.Write(Path.Combine(_directory, "stacks"), "kind-infra-dev", ("kind-infra-dev", _server.Url));
        var previous = Environment.GetEnvironmentVariable("KUBECONFIG");
        try
        {
            // A missing entry is skipped; the stack's context is in the last file.
            Environment.SetEnvironmentVariable("KUBECONFIG", string.Join(Path.PathSeparator, Path.Combine(_directory, "absent"), other, stacks));

            var run = InfraTool.Run("verify", "dev", "--project", Stacks.ProjectDirectory);

            Assert.Equal(InfraCommand.Ok, run.ExitCode);
            Assert.NotEmpty(_server.Requests);
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBECONFIG", previous);
        }
    }

    [Fact]
    public void An_explicit_context_wins_over_the_stacks()
    {
        Healthy("dev");

        var run = Verify("dev", "--context", "elsewhere");

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.StartsWith("error: cannot verify stack 'dev' on context 'elsewhere' (http://127.0.0.1:9", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void An_unknown_context_or_kubeconfig_is_exit_2()
    {
        var unknown = Verify("dev", "--context", "no-such-context");
        var missing = InfraTool.Run("verify", "dev", "--project", Stacks.ProjectDirectory, "--kubeconfig", Path.Combine(_directory, "absent"));

        Assert.Equal(InfraCommand.BadInput, unknown.ExitCode);
        Assert.Contains("has no context 'no-such-context' (it has: ", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(InfraCommand.BadInput, missing.ExitCode);
        Assert.StartsWith($"error: cannot verify stack 'dev' on context 'kind-infra-dev': no kubeconfig at {Path.Combine(_directory, "absent")}", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_stack_is_exit_2_before_the_cluster_is_asked()
    {
        var run = InfraTool.Run("verify", "no-such-stack", "--project", Stacks.ProjectDirectory, "--kubeconfig", Kubeconfig(_server.Url, ContextOf("dev")));

        Assert.Equal(InfraCommand.BadInput, run.ExitCode);
        Assert.Contains("no-such-stack", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }
}

/// <summary><c>verify</c> reads custom objects at the paths their CRDs declare; a wrong plural would read 404 as "not found".</summary>
public class ResourcePluralTests
{
    public static TheoryData<string> FixtureStacks() => [.. ProjectConfigFiles.Stacks(Stacks.ProjectDirectory)];

    [Theory]
    [MemberData(nameof(FixtureStacks))]
    public void Every_custom_kind_a_plan_writes_is_read_at_its_crds_plural(string stack)
    {
        CrdSchemaCatalog[] catalogs = [CrdSchemaCatalog.Istio(), CrdSchemaCatalog.Linkerd(), CrdSchemaCatalog.GatewayApi(), CrdSchemaCatalog.Flagger()];
        var kinds = Stacks.Plan(stack).Items.OfType<ManifestItem>()
            .Select(m => (Group: m.Object.ApiVersion.Contains('/', StringComparison.Ordinal) ? m.Object.ApiVersion.Split('/')[0] : "", m.Kind))
            .Distinct()
            .Select(k => (k.Group, k.Kind, Plural: catalogs.Select(c => c.Plural(k.Group, k.Kind)).FirstOrDefault(p => p is not null)))
            .Where(k => k.Plural is not null)
            .ToList();

        Assert.NotEmpty(kinds);
        Assert.All(kinds, k => Assert.Equal(k.Plural, ClusterVerifier.Plural(k.Kind)));
    }
}
