using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Planning;

/// <summary>
/// The stages of an install, applied in this order; each waits for the one before it
/// (CRDs before the control plane, the injector before workloads, and so on).
/// </summary>
public enum StageKind
{
    Crds,
    ControlPlane,
    GatewaysAndAddons,
    Namespaces,
    Policies,
    Workloads,
    Verification,
}

/// <summary>Everything a stack installs, in order, as typed data. Rendered offline or applied by the Pulumi program.</summary>
public sealed record MeshPlan(StackSettings Settings, ImmutableArray<PlanStage> Stages, ImmutableArray<SecretSlot> Secrets)
{
    /// <summary>
    /// The items by id, built on first use per array of stages and kept as long as it lives: beside the record, keyed by
    /// the array, rather than in a field, which would take part in record equality and be copied by <c>with</c>
    /// expressions that replace <see cref="Stages"/> (as <c>StackSettings</c> keeps its service index). Thread-safe.
    /// </summary>
    private static readonly ConditionalWeakTable<PlanStage[], Dictionary<string, PlanItem>> Indexes = [];

    public IEnumerable<PlanItem> Items => Stages.SelectMany(s => s.Items);

    /// <summary>The item with this <see cref="PlanItem.Id"/>, or null; a dictionary lookup (ids are unique in a plan).</summary>
    public PlanItem? Find(string id) =>
        Indexes.GetValue(ImmutableCollectionsMarshal.AsArray(Stages) ?? [], static stages =>
            stages.SelectMany(s => s.Items).ToDictionary(i => i.Id, StringComparer.Ordinal)).GetValueOrDefault(id);

    public IEnumerable<HelmReleaseItem> Releases => Items.OfType<HelmReleaseItem>();

    public PlanStage Stage(StageKind kind) => Stages.Single(s => s.Kind == kind);
}

public sealed record PlanStage(StageKind Kind, ImmutableArray<PlanItem> Items)
{
    /// <summary>The stage's name in renders, plan.md and Pulumi resource names.</summary>
    public string Name => Kind switch
    {
        StageKind.Crds => "crds",
        StageKind.ControlPlane => "control-plane",
        StageKind.GatewaysAndAddons => "gateways-addons",
        StageKind.Namespaces => "namespaces",
        StageKind.Policies => "policies",
        StageKind.Workloads => "workloads",
        _ => "verification",
    };

    public string Description => Kind switch
    {
        StageKind.Crds => "Custom resource definitions of the mesh and the APIs it uses",
        StageKind.ControlPlane => "The mesh control plane and the identity it issues",
        StageKind.GatewaysAndAddons => "Ingress gateways and observability addons",
        StageKind.Namespaces => "Application namespaces, labelled for injection and pod security",
        StageKind.Policies => "Traffic routing and security policies, in place before any pod starts",
        StageKind.Workloads => "Service accounts, configuration, deployments and services",
        _ => "Checks that traffic flows through the proxies and policies are enforced",
    };
}
