using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Tests.Scale;

/// <summary>
/// The cost of a stack grows linearly with its services, shown without timing anything: a catalog ten times as big
/// allocates at most a little more per service, plans no more objects per service, and no object of it is bigger.
/// </summary>
/// <remarks>
/// Allocations stand in for work: the quadratic planner formatted every earlier item's id for each new item, and
/// allocated about 7 times as much per service at 1,000 services as at 100. Every stage counts, the verification
/// stage included: before its redesign (issue 11) its deny-check Job per namespace listed every guarded service.
/// Planning and rendering run on every core, so the allocations of the whole process are counted, with no other test
/// running (<see cref="AllocationCounting"/>).
/// </remarks>
[Collection(AllocationCounting.Name)]
public class LinearCostTests
{
    private const int Small = 100;
    private const int Large = 1_000;

    [Theory]
    [InlineData(MeshKind.Istio)]
    [InlineData(MeshKind.Linkerd)]
    public void Ten_times_the_services_cost_ten_times_as_much_and_no_object_grows(MeshKind mesh)
    {
        Measure(10, mesh); // JIT, static caches and first-use allocations out of the way
        var small = Measure(Small, mesh);
        var large = Measure(Large, mesh);

        var growth = (double)large.AllocatedBytes / Large / ((double)small.AllocatedBytes / Small);
        Assert.True(growth <= 1.25,
            $"allocations per service grew {growth:0.00}x from {Small} to {Large} services ({small.AllocatedBytes / Small} -> {large.AllocatedBytes / Large} bytes)");
        Assert.True(large.Objects * Small <= small.Objects * Large,
            $"{Large} services plan {large.Objects} objects, more than {Large / Small} x {small.Objects} for {Small}");
        Assert.True(large.Largest.Size <= small.Largest.Size,
            $"the largest object grew from {small.Largest} at {Small} services to {large.Largest} at {Large}");
    }

    private sealed record Entry(string Name, int Size)
    {
        public override string ToString() => $"{Name} ({Size} bytes)";
    }

    private sealed record Cost(long AllocatedBytes, int Objects, Entry Largest);

    private static Cost Measure(int services, MeshKind mesh)
    {
        var catalog = SyntheticCatalog.Create(services, mesh);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var plan = MeshPlanner.Plan(StackSettingsLoader.Load(catalog));
        var files = PlanRenderer.Render(plan);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.NotEmpty(files);
        var objects = plan.Stages.SelectMany(PlanRenderer.Objects).ToList();
        var largest = objects.Select(o => new Entry(Name(o), o.ToJsonString().Length)).MaxBy(e => e.Size)!;
        return new Cost(allocated, plan.Stages.Sum(s => PlanRenderer.Objects(s).Count()), largest);
    }

    private static string Name(JsonObject o) => $"{o["kind"]} {o["metadata"]?["namespace"]}/{o["metadata"]?["name"]}";
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCounting
{
    /// <summary>Tests that count the process's allocations: run alone, so no other test's allocations are counted.</summary>
    public const string Name = "allocation counting";
}
