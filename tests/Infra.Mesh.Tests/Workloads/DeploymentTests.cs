using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Tests.Workloads;

public class DeploymentTests
{
    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Each_service_has_its_own_service_account_without_an_API_token(string stack)
    {
        var settings = Stacks.Settings(stack);
        var objects = Workload.Objects(stack);

        foreach (var service in settings.Services)
        {
            var account = objects.Named("ServiceAccount", service.Name);
            Assert.Equal(service.Namespace, (string?)account["metadata"]!["namespace"]);
            Assert.False((bool)account["automountServiceAccountToken"]!);
            var pod = objects.Named("Deployment", service.Name).PodSpec();
            Assert.Equal(service.Name, (string?)pod["serviceAccountName"]);
            Assert.False((bool)pod["automountServiceAccountToken"]!);
        }
    }

    [Fact]
    public void A_service_that_calls_the_API_gets_its_token()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "    api-gateway:\n", "    api-gateway:\n      automountServiceAccountToken: true\n");
        var objects = Workload.Objects(files, "dev");

        Assert.True((bool)objects.Named("ServiceAccount", "api-gateway")["automountServiceAccountToken"]!);
        Assert.True((bool)objects.Named("Deployment", "api-gateway").PodSpec()["automountServiceAccountToken"]!);
        Assert.False((bool)objects.Named("ServiceAccount", "orders")["automountServiceAccountToken"]!);
    }

    [Fact]
    public void A_canary_is_a_second_deployment_with_its_own_tag_replicas_and_version_label()
    {
        var orders = Stacks.Settings("dev").Service("orders");
        var objects = Workload.Objects("dev");
        var stable = objects.Named("Deployment", "orders");
        var canary = objects.Named("Deployment", "orders-canary");

        Assert.Equal("ghcr.io/acme/orders:2.7.0", (string?)stable.Container()["image"]);
        Assert.Equal("ghcr.io/acme/orders:2.8.0-rc.1", (string?)canary.Container()["image"]);
        Assert.Equal(orders.Replicas, (int)stable["spec"]!["replicas"]!);
        Assert.Equal(orders.Canary!.Replicas, (int)canary["spec"]!["replicas"]!);
        foreach (var (deployment, version) in new[] { (stable, Labels.Stable), (canary, Labels.Canary) })
        {
            Assert.Equal(version, (string?)deployment["spec"]!["selector"]!["matchLabels"]![Labels.Version]);
            Assert.Equal(version, deployment.PodLabel(Labels.Version));
            Assert.Equal("orders", deployment.PodLabel(Labels.App));
            Assert.Equal(version, deployment.Container().Env(PlatformEnvironment.Version));
        }

        // Services without a canary have only the stable Deployment.
        Assert.Single(objects.OfKind("Deployment"), d => (string?)d["metadata"]!["labels"]![Labels.App] == "payments");
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void One_Service_selects_every_version_on_named_ports(string stack)
    {
        var settings = Stacks.Settings(stack);
        var objects = Workload.Objects(stack);

        foreach (var service in settings.Services)
        {
            var kubeService = objects.Named("Service", service.Name);
            var selector = kubeService["spec"]!["selector"]!.AsObject();
            Assert.Equal([KeyValuePair.Create(Labels.App, service.Name)], selector.Select(s => KeyValuePair.Create(s.Key, (string)s.Value!)));
            var ports = kubeService["spec"]!.Items("ports");
            // Each mesh has its own appProtocol vocabulary, checked by its injection and traffic tests.
            Assert.Equal(service.Ports.Select(p => (p.Name, p.Port)), ports.Select(p => ((string)p["name"]!, (int)p["port"]!)));

            foreach (var deployment in objects.OfKind("Deployment").Where(d => (string?)d["metadata"]!["labels"]![Labels.App] == service.Name))
            {
                // Every pod of every version matches the Service's selector, and each targetPort names a container port.
                Assert.All(selector, s => Assert.Equal((string?)s.Value, deployment.PodLabel(s.Key)));
                var containerPorts = deployment.Container().Items("ports").ToDictionary(p => (string)p["name"]!, p => (int)p["containerPort"]!);
                Assert.All(ports, p => Assert.Equal((int)p["port"]!, containerPorts[(string)p["targetPort"]!]));
            }
        }

        Assert.Contains(settings.Services.SelectMany(s => s.Ports), p => p.Protocol == PortProtocol.Grpc);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    public void In_dev_nrepl_listens_on_loopback_is_never_on_the_Service_and_bypasses_the_mesh(string stack)
    {
        var settings = Stacks.Settings(stack);
        var objects = Workload.Objects(stack);

        foreach (var service in settings.Services)
        {
            Assert.True(service.Nrepl.Enabled);
            var port = service.Nrepl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var deployment = objects.Named("Deployment", service.Name);
            var container = deployment.Container();
            Assert.Contains(container.Items("ports"), p => (string?)p["name"] == WorkloadPlanner.NreplPortName && (int)p["containerPort"]! == service.Nrepl.Port);
            Assert.Equal(port, container.Env(PlatformEnvironment.NreplPort));
            Assert.Equal("127.0.0.1", container.Env(PlatformEnvironment.NreplBind));
            Assert.DoesNotContain(objects.Named("Service", service.Name)["spec"]!.Items("ports"), p => (int)p["port"]! == service.Nrepl.Port);
            // The mesh's own exclusion annotation (its names differ per mesh) lists the port.
            var annotations = deployment.Template()["metadata"]!["annotations"]!.AsObject();
            Assert.Contains(annotations, a => ((string?)a.Value)!.Split(',').Contains(port));
        }
    }

    [Fact]
    public void In_prod_nrepl_is_off_unless_the_stack_turns_it_on()
    {
        var prod = Workload.Objects("prod");
        Assert.All(prod.OfKind("Deployment"), d =>
        {
            Assert.DoesNotContain(d.Container().Items("ports"), p => (string?)p["name"] == WorkloadPlanner.NreplPortName);
            Assert.False(d.Container().HasEnv(PlatformEnvironment.NreplPort));
        });

        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "    payments:\n      replicas: 3\n", "    payments:\n      replicas: 3\n      nrepl:\n        enabled: true\n");
        var debugging = Workload.Objects(files, "prod");

        Assert.Equal("7888", debugging.Named("Deployment", "payments").Container().Env(PlatformEnvironment.NreplPort));
        Assert.False(debugging.Named("Deployment", "orders").Container().HasEnv(PlatformEnvironment.NreplPort));
        Assert.DoesNotContain(debugging.Named("Service", "payments")["spec"]!.Items("ports"), p => (int)p["port"]! == 7888);
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void The_JVM_sizes_itself_from_the_container_and_service_options_come_last(string stack)
    {
        var settings = Stacks.Settings(stack);
        var objects = Workload.Objects(stack);

        foreach (var service in settings.Services)
        {
            var flags = objects.Named("Deployment", service.Name).Container().Env(PlatformEnvironment.JavaToolOptions)!.Split(' ');
            Assert.Contains($"-XX:MaxRAMPercentage={service.Jvm.MaxRamPercentage}.0", flags);
            Assert.Contains($"-XX:ActiveProcessorCount={JavaToolOptions.ActiveProcessorCount(service.Resources)}", flags);
            Assert.Contains("-XX:+ExitOnOutOfMemoryError", flags);
            Assert.Contains("-Dclojure.main.report=stderr", flags);
            // The JVM keeps the last occurrence of a flag, so the service's own options win.
            Assert.Equal([.. service.Jvm.Options], flags[^service.Jvm.Options.Length..]);
        }

        Assert.Equal(["-XX:+UseG1GC"], [.. settings.Service("api-gateway").Jvm.Options]);
    }

    [Theory]
    [InlineData("250m", null, 2)]
    [InlineData("2500m", null, 3)]
    [InlineData("4", null, 4)]
    [InlineData("250m", "1", 1)]
    [InlineData("500m", "1500m", 2)]
    public void Processor_count_follows_the_CPU_limit_or_else_the_request_with_room_to_burst(string cpu, string? cpuLimit, int expected) =>
        Assert.Equal(expected, JavaToolOptions.ActiveProcessorCount(new ResourceSettings(cpu, "1Gi", cpuLimit)));

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Memory_limit_equals_the_request_and_CPU_is_requested(string stack)
    {
        var settings = Stacks.Settings(stack);
        foreach (var deployment in Workload.Objects(stack).OfKind("Deployment"))
        {
            var service = settings.Service((string)deployment["metadata"]!["labels"]![Labels.App]!);
            var resources = deployment.Container()["resources"]!;
            Assert.Equal(service.Resources.Memory, (string?)resources["requests"]!["memory"]);
            Assert.Equal(service.Resources.Memory, (string?)resources["limits"]!["memory"]);
            Assert.Equal(service.Resources.Cpu, (string?)resources["requests"]!["cpu"]);
            // No CPU limit unless asked: throttling a JVM stalls GC and JIT.
            Assert.Null(resources["limits"]!["cpu"]);
        }
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Probes_wait_out_a_slow_start_then_check_the_health_paths(string stack)
    {
        var settings = Stacks.Settings(stack);
        foreach (var service in settings.Services)
        {
            var container = Workload.Objects(stack).Named("Deployment", service.Name).Container();
            var portNames = container.Items("ports").Select(p => (string?)p["name"]).ToList();
            var startup = container["startupProbe"]!;
            var readiness = container["readinessProbe"]!;
            var liveness = container["livenessProbe"]!;

            Assert.True((int)startup["periodSeconds"]! * (int)startup["failureThreshold"]! >= service.Health.StartupSeconds);
            Assert.Equal(service.Health.LivenessPath, (string?)startup["httpGet"]!["path"]);
            Assert.Equal(service.Health.ReadinessPath, (string?)readiness["httpGet"]!["path"]);
            Assert.Equal(service.Health.LivenessPath, (string?)liveness["httpGet"]!["path"]);
            Assert.All(new[] { startup, readiness, liveness }, p => Assert.Contains((string?)p["httpGet"]!["port"], portNames));
            // Liveness tolerates longer than readiness: a restart costs a full slow start.
            Assert.True((int)liveness["periodSeconds"]! * (int)liveness["failureThreshold"]!
                > (int)readiness["periodSeconds"]! * (int)readiness["failureThreshold"]!);
        }
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void The_app_keeps_serving_through_the_preStop_pause_and_has_time_to_stop_after_it(string stack)
    {
        foreach (var deployment in Workload.Objects(stack).OfKind("Deployment"))
        {
            var pause = (int)deployment.Container()["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!;
            var grace = (int)deployment.PodSpec()["terminationGracePeriodSeconds"]!;
            Assert.InRange(pause, 1, grace - 1);
        }
    }

    [Fact]
    public void Shutdown_timing_is_set_per_service()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "    payments:\n      replicas: 3\n",
            "    payments:\n      replicas: 3\n      shutdown:\n        preStopSeconds: 15\n        terminationGracePeriodSeconds: 90\n");
        files.Replace("Pulumi.prod.yaml", "    orders:\n      replicas: 3\n", "    orders:\n      replicas: 3\n      shutdown:\n        preStopSeconds: 0\n");
        var objects = Workload.Objects(files, "prod");
        var payments = objects.Named("Deployment", "payments");

        Assert.Equal(15, (int)payments.Container()["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!);
        Assert.Equal(90, (int)payments.PodSpec()["terminationGracePeriodSeconds"]!);
        // No pause at all rather than a zero-second sleep, which older API servers reject.
        Assert.Null(objects.Named("Deployment", "orders").Container()["lifecycle"]);
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Pods_announce_their_metrics_endpoint_for_scraping_through_the_mesh(string stack)
    {
        var settings = Stacks.Settings(stack);
        foreach (var deployment in Workload.Objects(stack).OfKind("Deployment"))
        {
            var service = settings.Service(deployment.PodLabel(Labels.App)!);
            Assert.Equal("true", deployment.PodAnnotation("prometheus.io/scrape"));
            Assert.Equal(service.Port(service.Metrics.Port).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                deployment.PodAnnotation("prometheus.io/port"));
            Assert.Equal(service.Metrics.Path, deployment.PodAnnotation("prometheus.io/path"));
        }
    }

    [Fact]
    public void Pods_do_not_get_a_variable_for_every_Service_in_their_namespace() =>
        Assert.All(Workload.Objects("dev").OfKind("Deployment"), d => Assert.False((bool)d.PodSpec()["enableServiceLinks"]!));
}
