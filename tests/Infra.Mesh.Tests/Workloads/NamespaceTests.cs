using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Workloads;

public class NamespaceTests
{
    private static string? Label(JsonObject ns, string key) => (string?)ns["metadata"]!["labels"]?[key];

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Every_service_namespace_is_planned_with_pod_security_restricted(string stack)
    {
        var settings = Stacks.Settings(stack);
        var namespaces = Workload.Objects(stack).OfKind("Namespace").ToList();

        foreach (var name in settings.Services.Select(s => s.Namespace).Distinct())
        {
            var ns = namespaces.Named("Namespace", name);
            Assert.Equal("restricted", Label(ns, "pod-security.kubernetes.io/warn"));
            Assert.Equal("restricted", Label(ns, "pod-security.kubernetes.io/audit"));
            // Enforced only in prod; dev reports violations without blocking experiments.
            Assert.Equal(settings.IsProduction ? "restricted" : null, Label(ns, "pod-security.kubernetes.io/enforce"));
        }

        Assert.Equal(stack.StartsWith("prod", StringComparison.Ordinal), settings.IsProduction);
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Namespaces_carry_what_the_mesh_injector_reads(string stack)
    {
        var settings = Stacks.Settings(stack);
        var injection = MeshPlanner.MeshFor(settings).Injection;
        var objects = Workload.Objects(stack);

        foreach (var name in settings.Namespaces)
        {
            var ns = objects.Named("Namespace", name);
            var mesh = injection.Namespace(name);
            Assert.False(mesh.Labels.IsEmpty && mesh.Annotations.IsEmpty, $"{settings.Mesh} injects nothing into {name}");
            Assert.All(mesh.Labels, l => Assert.Equal(l.Value, Label(ns, l.Key)));
            Assert.All(mesh.Annotations, a => Assert.Equal(a.Value, (string?)ns["metadata"]!["annotations"]?[a.Key]));
        }
    }
}
