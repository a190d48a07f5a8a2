using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Testing.Support;
using Infra.Testing;

namespace Infra.Mesh.Tests.Workloads;

/// <summary>
/// The conformance tests validate the fixture's stacks; these turn on every optional workload part those stacks leave off
/// (canary autoscaler, prod nREPL, CPU limit, API token, shutdown timing) and validate those objects too.
/// </summary>
public class WorkloadSchemaTests
{
    [Theory]
    [InlineData("prod")]
    [InlineData("dev-linkerd")]
    public void Every_workload_object_with_every_option_on_is_a_valid_built_in_object(string stack)
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "          port: 7888\n        resources:\n          cpu: 500m\n          memory: 1Gi\n        config:\n          reload: restart\n          edn:\n            db:",
            "          port: 7888\n          enabled: true\n        resources:\n          cpu: 500m\n          memory: 1Gi\n          cpuLimit: \"2\"\n"
            + "        automountServiceAccountToken: true\n        shutdown:\n          preStopSeconds: 20\n          terminationGracePeriodSeconds: 90\n"
            + "        autoscaling:\n          enabled: true\n          maxReplicas: 20\n        canary:\n          tag: 2.8.0\n          weight: 30\n"
            + "        config:\n          reload: restart\n          env:\n            LOG_FORMAT: json\n          edn:\n            db:");
        var plan = MeshPlanner.Plan(Workload.Settings(files, stack));
        var objects = new[] { StageKind.Namespaces, StageKind.Workloads }.SelectMany(kind => PlanRenderer.Objects(plan.Stage(kind))).ToList();

        Assert.Contains(objects, o => (string?)o["kind"] == "HorizontalPodAutoscaler" && (string?)o["metadata"]!["name"] == "orders-canary");
        Assert.All(objects, o => Assert.True(BuiltinObjectValidator.Knows((string)o["apiVersion"]!, (string)o["kind"]!), o.ToJsonString()));
        Assert.Empty(objects.SelectMany(BuiltinObjectValidator.Validate));
    }
}
