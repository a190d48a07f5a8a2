using Infra.Mesh.Settings;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>Collects what each planner contributes, then freezes it into a <see cref="MeshPlan"/>.</summary>
public sealed class PlanBuilder(StackSettings settings)
{
    private readonly Dictionary<StageKind, List<PlanItem>> _stages = Enum.GetValues<StageKind>().ToDictionary(k => k, _ => new List<PlanItem>());
    private readonly List<SecretSlot> _slots = [];

    // Every id planned so far: a scan of all items per Add made planning quadratic (minutes at 1,000 services).
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    public StackSettings Settings { get; } = settings;

    /// <summary>What has been planned so far, stage by stage.</summary>
    public IEnumerable<PlanItem> Items => _stages.OrderBy(s => s.Key).SelectMany(s => s.Value);

    public T Add<T>(StageKind stage, T item)
        where T : PlanItem
    {
        if (!_ids.Add(item.Id))
        {
            throw new InvalidOperationException($"Plan item '{item.Id}' is planned twice.");
        }

        _stages[stage].Add(item);
        return item;
    }

    public ManifestItem Add(StageKind stage, IKubernetesObject<V1ObjectMeta> obj) => Add(stage, new ManifestItem(obj));

    public T AddSlot<T>(T slot)
        where T : SecretSlot
    {
        _slots.Add(slot);
        return slot;
    }

    public MeshPlan Build()
    {
        var plan = new MeshPlan(
            Settings,
            [.. _stages.OrderBy(s => s.Key).Select(s => new PlanStage(s.Key, [.. s.Value]))],
            [.. _slots]);
        CheckReferences(plan);
        return plan;
    }

    /// <summary>A dependency or secret reference to nothing is a planner bug; fail loudly rather than deploy half a mesh.</summary>
    private static void CheckReferences(MeshPlan plan)
    {
        var ids = plan.Items.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        var slots = plan.Secrets.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var item in plan.Items)
        {
            var missing = item.DependsOn.Where(d => !ids.Contains(d)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException($"Plan item '{item.Id}' depends on unknown items: {string.Join(", ", missing)}");
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
