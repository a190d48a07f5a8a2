using CsCheck;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using k8s.Models;

namespace Infra.Mesh.Tests.Scale;

public class PlanBuilderTests
{
    private static readonly StackSettings Settings = StackSettingsLoader.Load(SyntheticCatalog.Create(3, MeshKind.Linkerd));

    private static V1ConfigMap ConfigMap(string name) => new V1ConfigMap
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "team" },
    }.WithApiVersionAndKind();

    /// <summary>A unit's items, in two stages; names come from a small set, so units often plan the same id (a conflict).</summary>
    private static void PlanUnit(IPlanSink sink, (int Name, bool Workloads)[] unit)
    {
        foreach (var (name, workloads) in unit)
        {
            var item = sink.Add(workloads ? StageKind.Workloads : StageKind.Policies, ConfigMap($"map-{name}"));
            Assert.Equal($"ConfigMap/team/map-{name}", item.Id);
        }
    }

    private static readonly Gen<(int Name, bool Workloads)[][]> Units = Gen.Select(Gen.Int[0, 3000], Gen.Bool).Array[0, 6].Array[0, 60];

    /// <summary>Each stage's ids in order when the plan builds; else the ids added (stage by stage) and the conflicts.</summary>
    private static (List<(StageKind, string)> Items, List<(string, string)> Conflicts) Outcome(PlanBuilder builder)
    {
        try
        {
            return ([.. builder.Build().Stages.SelectMany(s => s.Items.Select(i => (s.Kind, i.Id)))], []);
        }
        catch (PlanConflictException e)
        {
            return ([.. builder.Items.Select(i => (StageKind.Crds, i.Id))], [.. e.Conflicts.Select(c => (c.First.Id, c.Second.Id))]);
        }
    }

    [Fact]
    public void AddEach_plans_what_a_loop_over_the_units_plans_in_the_same_order_conflicts_included()
    {
        var conflicting = 0;
        Units.Sample(units =>
        {
            var looped = new PlanBuilder(Settings);
            foreach (var unit in units)
            {
                PlanUnit(looped, unit);
            }

            var parallel = new PlanBuilder(Settings);
            parallel.AddEach(units, PlanUnit);

            var expected = Outcome(looped);
            var actual = Outcome(parallel);
            Assert.Equal(expected.Items, actual.Items);
            Assert.Equal(expected.Conflicts, actual.Conflicts);
            conflicting += expected.Conflicts.Count > 0 ? 1 : 0;
        }, iter: 300, threads: 1);

        // Both outcomes are generated often enough to mean something.
        Assert.InRange(conflicting, 30, 270);
    }

    [Fact]
    public void The_later_of_two_units_planning_one_id_is_the_conflict()
    {
        var builder = new PlanBuilder(Settings);
        var first = ConfigMap("shared");
        var second = ConfigMap("shared");
        builder.AddEach(["a", "b"], (sink, unit) => sink.Add(StageKind.Policies, unit == "a" ? first : second));

        var conflict = Assert.Single(Assert.Throws<PlanConflictException>(builder.Build).Conflicts);
        Assert.Same(first, ((ManifestItem)conflict.First).Object);
        Assert.Same(second, ((ManifestItem)conflict.Second).Object);
    }

    [Fact]
    public void What_a_unit_throws_is_thrown_as_it_was_and_nothing_is_added()
    {
        var builder = new PlanBuilder(Settings);

        var thrown = Assert.Throws<InvalidOperationException>(() =>
            builder.AddEach(Enumerable.Range(0, 100).ToList(), (sink, unit) =>
            {
                if (unit == 57)
                {
                    throw new InvalidOperationException("unit 57");
                }

                sink.Add(StageKind.Policies, ConfigMap($"map-{unit}"));
            }));

        Assert.Equal("unit 57", thrown.Message);
        Assert.Empty(builder.Items);
    }

    [Fact]
    public void When_several_units_throw_the_first_in_order_is_thrown_as_a_loop_throws_it()
    {
        using var laterThrew = new ManualResetEventSlim();
        var builder = new PlanBuilder(Settings);

        var thrown = Assert.Throws<InvalidOperationException>(() =>
            builder.AddEach(Enumerable.Range(0, 1000).ToList(), (sink, unit) =>
            {
                // The later unit fails first in time; the earlier one fails once it has (or after 2 s if it never ran).
                if (unit == 600)
                {
                    laterThrew.Set();
                    throw new InvalidOperationException("unit 600");
                }

                if (unit == 400)
                {
                    laterThrew.Wait(TimeSpan.FromSeconds(2));
                    throw new InvalidOperationException("unit 400");
                }

                sink.Add(StageKind.Policies, ConfigMap($"map-{unit}"));
            }));

        Assert.Equal("unit 400", thrown.Message);
    }

    [Fact]
    public void Finding_items_by_id_leaves_the_plan_equal_to_its_copies_and_a_copy_with_other_stages_finds_its_own()
    {
        var builder = new PlanBuilder(Settings);
        builder.AddEach(["a", "b"], (sink, unit) => sink.Add(StageKind.Policies, ConfigMap(unit)));
        var plan = builder.Build();
        var copy = plan with { };

        Assert.Same(plan.Items.First(), plan.Find("ConfigMap/team/a"));
        Assert.Null(plan.Find("ConfigMap/team/c"));
        Assert.Equal(copy, plan);
        Assert.Equal(copy.GetHashCode(), plan.GetHashCode());

        var other = new PlanBuilder(Settings);
        other.Add(StageKind.Policies, ConfigMap("c"));
        var replaced = plan with { Stages = other.Build().Stages };
        Assert.NotNull(replaced.Find("ConfigMap/team/c"));
        Assert.Null(replaced.Find("ConfigMap/team/a"));
    }
}
