using Infra.Mesh.Planning;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Workloads;

public class ResilienceTests
{
    [Fact]
    public void Prod_budgets_one_voluntary_disruption_per_service_across_all_its_versions()
    {
        var settings = Stacks.Settings("prod");
        var objects = Workload.Objects("prod");

        foreach (var service in settings.Services)
        {
            var budget = objects.Named("PodDisruptionBudget", service.Name)["spec"]!;
            Assert.Equal(1, (int)budget["maxUnavailable"]!);
            // The Service's selector: stable and canary pods count against one budget.
            Assert.Equal([KeyValuePair.Create(Labels.App, service.Name)],
                budget["selector"]!["matchLabels"]!.AsObject().Select(l => KeyValuePair.Create(l.Key, (string)l.Value!)));
            Assert.Equal("AlwaysAllow", (string?)budget["unhealthyPodEvictionPolicy"]);
        }

        Assert.Empty(Workload.Objects("dev").OfKind("PodDisruptionBudget"));
    }

    [Fact]
    public void Prod_autoscales_each_service_on_CPU_and_its_Deployment_leaves_replicas_to_the_autoscaler()
    {
        var settings = Stacks.Settings("prod");
        var objects = Workload.Objects("prod");

        foreach (var service in settings.Services)
        {
            var autoscaler = objects.Named("HorizontalPodAutoscaler", service.Name);
            Assert.Equal("autoscaling/v2", (string?)autoscaler["apiVersion"]);
            var spec = autoscaler["spec"]!;
            Assert.Equal(service.Name, (string?)spec["scaleTargetRef"]!["name"]);
            Assert.Equal("Deployment", (string?)spec["scaleTargetRef"]!["kind"]);
            Assert.Equal(service.Autoscaling.MinReplicas, (int)spec["minReplicas"]!);
            Assert.Equal(service.Autoscaling.MaxReplicas, (int)spec["maxReplicas"]!);
            var cpu = spec.Items("metrics").Single()["resource"]!;
            Assert.Equal("cpu", (string?)cpu["name"]);
            Assert.Equal(service.Autoscaling.TargetCpuUtilization, (int)cpu["target"]!["averageUtilization"]!);
            Assert.Null(objects.Named("Deployment", service.Name)["spec"]!["replicas"]);
        }

        Assert.Empty(Workload.Objects("dev").OfKind("HorizontalPodAutoscaler"));
        Assert.All(Workload.Objects("dev").OfKind("Deployment"), d => Assert.NotNull(d["spec"]!["replicas"]));
    }

    [Fact]
    public void A_canary_scales_on_its_own_up_to_its_weight_of_the_stable_ceiling()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "    orders:\n      replicas: 3\n",
            "    orders:\n      replicas: 3\n      canary:\n        tag: 2.8.0\n        weight: 20\n        replicas: 1\n");
        var objects = Workload.Objects(files, "prod");

        var canary = objects.Named("HorizontalPodAutoscaler", "orders-canary")["spec"]!;
        Assert.Equal("orders-canary", (string?)canary["scaleTargetRef"]!["name"]);
        Assert.Equal(1, (int)canary["minReplicas"]!);
        Assert.Equal(2, (int)canary["maxReplicas"]!); // 20% of orders' maxReplicas 10
        Assert.Null(objects.Named("Deployment", "orders-canary")["spec"]!["replicas"]);
        Assert.Equal("orders", (string?)objects.Named("HorizontalPodAutoscaler", "orders")["spec"]!["scaleTargetRef"]!["name"]);
    }

    [Fact]
    public void A_canary_whose_share_is_within_its_replicas_keeps_a_fixed_count()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "    orders:\n      replicas: 3\n",
            "    orders:\n      replicas: 3\n      canary:\n        tag: 2.8.0\n        weight: 5\n        replicas: 1\n");
        var objects = Workload.Objects(files, "prod");

        Assert.DoesNotContain(objects.OfKind("HorizontalPodAutoscaler"), h => (string?)h["metadata"]!["name"] == "orders-canary");
        Assert.Equal(1, (int)objects.Named("Deployment", "orders-canary")["spec"]!["replicas"]!);
    }

    [Fact]
    public void Prod_spreads_each_rollout_of_each_version_across_zones_and_nodes()
    {
        foreach (var deployment in Workload.Objects("prod").OfKind("Deployment"))
        {
            var spread = deployment.PodSpec().Items("topologySpreadConstraints");
            Assert.Equal(["topology.kubernetes.io/zone", "kubernetes.io/hostname"], spread.Select(c => (string?)c["topologyKey"]));
            var podLabels = deployment.Template()["metadata"]!["labels"]!.AsObject();
            foreach (var constraint in spread)
            {
                Assert.Equal(1, (int)constraint["maxSkew"]!);
                Assert.Equal("ScheduleAnyway", (string?)constraint["whenUnsatisfiable"]);
                var selector = constraint["labelSelector"]!["matchLabels"]!.AsObject();
                Assert.Equal(deployment["spec"]!["selector"]!["matchLabels"]!.ToJsonString(), selector.ToJsonString());
                Assert.All(selector, l => Assert.Equal((string?)l.Value, (string?)podLabels[l.Key]));
                Assert.Equal(["pod-template-hash"], constraint["matchLabelKeys"]!.AsArray().Select(k => (string?)k));
            }
        }

        Assert.All(Workload.Objects("dev").OfKind("Deployment"), d => Assert.Null(d.PodSpec()["topologySpreadConstraints"]));
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Rollouts_keep_every_old_pod_until_its_replacement_is_ready(string stack) =>
        Assert.All(Workload.Objects(stack).OfKind("Deployment"), d => Assert.Equal(0, (int)d["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]!));
}
