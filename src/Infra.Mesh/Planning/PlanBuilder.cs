using Infra.Mesh.Settings;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>Where a planner adds items: the whole plan (<see cref="PlanBuilder"/>) or one unit of <see cref="PlanBuilder.AddEach"/>.</summary>
public interface IPlanSink
{
    StackSettings Settings { get; }

    /// <summary>Adds an item and returns it (to name it in other items' <see cref="PlanItem.DependsOn"/>).</summary>
    T Add<T>(StageKind stage, T item)
        where T : PlanItem;

    ManifestItem Add(StageKind stage, IKubernetesObject<V1ObjectMeta> obj) => Add(stage, new ManifestItem(obj));
}

/// <summary>Collects what each planner contributes, then freezes it into a <see cref="MeshPlan"/>.</summary>
public sealed class PlanBuilder(StackSettings settings) : IPlanSink
{
    private readonly Dictionary<StageKind, List<PlanItem>> _stages = Enum.GetValues<StageKind>().ToDictionary(k => k, _ => new List<PlanItem>());
    private readonly List<SecretSlot> _slots = [];
    private readonly Dictionary<string, PlanItem> _byId = new(StringComparer.Ordinal);
    private readonly List<PlanItemConflict> _conflicts = [];

    public StackSettings Settings { get; } = settings;

    /// <summary>What has been planned so far, stage by stage.</summary>
    public IEnumerable<PlanItem> Items => _stages.OrderBy(s => s.Key).SelectMany(s => s.Value);

    /// <summary>
    /// Adds an item; its id is computed once and looked up in a set of the ids planned so far. An item whose id is
    /// already planned is recorded as a conflict (reported by <see cref="Build"/>), not added.
    /// </summary>
    public T Add<T>(StageKind stage, T item)
        where T : PlanItem
    {
        var id = item.Id; // formatted once; the dictionary makes Add constant time
        if (_byId.TryGetValue(id, out var planned))
        {
            // Two names the settings chose alike (a service called like another's generated object): reported, not thrown here.
            _conflicts.Add(new PlanItemConflict(planned, item));
            return item;
        }

        _byId.Add(id, item);
        _stages[stage].Add(item);
        return item;
    }

    public ManifestItem Add(StageKind stage, IKubernetesObject<V1ObjectMeta> obj) => Add(stage, new ManifestItem(obj));

    /// <summary>
    /// Plans each of <paramref name="units"/> (a service, mostly) on its own, on every core, then adds what each planned
    /// in the units' order: the plan is the one a loop over the units would build, conflicts included. A unit's planning
    /// may read the settings and anything built before the call, never what another unit adds.
    /// </summary>
    /// <exception cref="Exception">What planning the first failing unit threw, as it was thrown (<see cref="InOrder.For"/>).</exception>
    public void AddEach<TUnit>(IReadOnlyList<TUnit> units, Action<IPlanSink, TUnit> plan)
    {
        var batches = new Batch[units.Count];
        InOrder.For(units.Count, i =>
        {
            var batch = new Batch(Settings);
            plan(batch, units[i]);
            batches[i] = batch;
        });

        foreach (var batch in batches)
        {
            foreach (var (stage, item) in batch.Items)
            {
                Add(stage, item);
            }
        }
    }

    /// <summary>What one unit of <see cref="AddEach"/> planned, in order.</summary>
    private sealed class Batch(StackSettings settings) : IPlanSink
    {
        public List<(StageKind Stage, PlanItem Item)> Items { get; } = [];

        public StackSettings Settings { get; } = settings;

        public T Add<T>(StageKind stage, T item)
            where T : PlanItem
        {
            _ = item.Id; // formatted here, on the unit's core, not in the ordered adding after
            Items.Add((stage, item));
            return item;
        }
    }

    public T AddSlot<T>(T slot)
        where T : SecretSlot
    {
        _slots.Add(slot);
        return slot;
    }

    /// <summary>Builds the plan; throws <see cref="PlanConflictException"/> when two planned items share an id.</summary>
    public MeshPlan Build()
    {
        if (_conflicts.Count > 0)
        {
            throw new PlanConflictException([.. _conflicts]);
        }

        var plan = new MeshPlan(
            Settings,
            [.. _stages.OrderBy(s => s.Key).Select(s => new PlanStage(s.Key, [.. s.Value]))],
            [.. _slots]);
        CheckReferences(plan);
        return plan;
    }

    /// <summary>A dependency or secret reference to nothing is a planner bug; fail loudly rather than deploy half a mesh.</summary>
    private void CheckReferences(MeshPlan plan)
    {
        var slots = plan.Secrets.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var item in plan.Items)
        {
            foreach (var dependency in item.DependsOn)
            {
                if (!_byId.ContainsKey(dependency))
                {
                    throw new InvalidOperationException(
                        $"Plan item '{item.Id}' depends on unknown items: {string.Join(", ", item.DependsOn.Where(d => !_byId.ContainsKey(d)))}");
                }
            }
        }

        var sources = plan.Releases.SelectMany(r => r.SecretValues.Select(v => v.Source))
            .Concat(plan.Items.OfType<SecretItem>().SelectMany(s => s.Entries.Select(e => e.Source)));
        foreach (var source in sources.OfType<GeneratedSecret>().Where(g => !slots.Contains(g.SlotId)))
        {
            throw new InvalidOperationException($"Secret slot '{source.SlotId}' is referenced but not planned.");
        }
    }
}

/// <summary>Two items planned under one id (kind, namespace and name): the second would replace the first on a cluster.</summary>
public sealed record PlanItemConflict(PlanItem First, PlanItem Second);

/// <summary>
/// The plan would hold two objects with the same kind, namespace and name. Settings validation reports the names that
/// lead to this (rule INFRA111) before any plan is used; reaching this exception otherwise is a planner bug.
/// </summary>
public sealed class PlanConflictException : Exception
{
    public PlanConflictException(IReadOnlyList<PlanItemConflict> conflicts)
        : base($"Planned twice: {string.Join(", ", conflicts.Select(c => c.First.Id))}") => Conflicts = conflicts;

    public PlanConflictException() : this([]) { }

    public PlanConflictException(string message) : base(message) => Conflicts = [];

    public PlanConflictException(string message, Exception innerException) : base(message, innerException) => Conflicts = [];

    public IReadOnlyList<PlanItemConflict> Conflicts { get; }
}
