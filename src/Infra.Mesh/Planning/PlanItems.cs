using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>One thing the plan installs. <see cref="DependsOn"/> names other items by <see cref="Id"/>.</summary>
public abstract record PlanItem
{
    public abstract string Id { get; }

    public ImmutableArray<string> DependsOn { get; init; } = [];

    /// <summary>Never deleted by Pulumi without first unprotecting it.</summary>
    public bool Protect { get; init; }

    /// <summary>Left in the cluster when the stack is destroyed (CRDs hold every user's custom resources).</summary>
    public bool RetainOnDelete { get; init; }

    /// <summary>
    /// What this item was called in earlier versions of the plan. Declare one whenever a change renames an item, moves
    /// an object to another namespace or changes its kind or apiVersion: the Pulumi program turns each into an alias,
    /// so the existing resource is updated in place. Without it Pulumi sees a new resource and an old one, creates the
    /// new one first and fails with AlreadyExists on the object the old one still holds.
    /// </summary>
    public ImmutableArray<FormerIdentity> FormerIdentities { get; init; } = [];

    /// <summary>
    /// The plan fingerprint this item's name ends with (<c>-&lt;fingerprint&gt;</c>), or null. Such an item is
    /// recreated under a new name whenever the plan changes (verification Jobs run again on every change), so its
    /// identity is its name without the suffix: identity checks and reviews compare it that way.
    /// </summary>
    public string? FingerprintSuffix { get; init; }
}

/// <summary>
/// An earlier identity of a plan item; parts left null are the item's current ones. Which parts count depends on the
/// item: a release's <see cref="Name"/> (its release name), a Secret's <see cref="Namespace"/> and <see cref="Name"/>,
/// a manifest file's <see cref="Name"/>, and for an object all four.
/// </summary>
public sealed record FormerIdentity
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public string? Namespace { get; init; }

    public string? Name { get; init; }
}

/// <summary>A Helm release of an official chart, at a pinned version, with structured values.</summary>
/// <param name="SecretValues">Values filled at deploy time from a secret (never present in <paramref name="Values"/>).</param>
public sealed record HelmReleaseItem(
    string ReleaseName,
    string Chart,
    string Repository,
    string Version,
    string Namespace,
    JsonObject Values,
    ImmutableArray<SecretValue> SecretValues) : PlanItem
{
    public override string Id => IdOf(Namespace, ReleaseName);

    /// <summary>The id of a release planned elsewhere, for <see cref="PlanItem.DependsOn"/>.</summary>
    public static string IdOf(string ns, string releaseName) => $"helm/{ns}/{releaseName}";

    public bool CreateNamespace { get; init; } = true;

    /// <summary>Seconds Helm waits for the release's workloads to become ready.</summary>
    public int TimeoutSeconds { get; init; } = 600;
}

/// <summary>A Kubernetes object: a <c>k8s.Models</c> built-in or a typed mesh resource.</summary>
public sealed record ManifestItem(IKubernetesObject<V1ObjectMeta> Object) : PlanItem
{
    private Derived? derived;

    /// <summary>Formatted once per object (a plan of 10,000 services looks ids up millions of times).</summary>
    public override string Id => For().Id;

    /// <summary>
    /// The object's canonical JSON as UTF-8 (<see cref="ObjectJson.Utf8(IKubernetesObject{V1ObjectMeta})"/>),
    /// serialized once on first use: the verification fingerprint, the render and the Pulumi program read the same
    /// bytes, and a plan of 10,000 services is not serialized twice. Planned objects are not changed after planning
    /// (ObjectJsonTests compare this with a fresh serialization for every object of every stack); a copy with another
    /// <see cref="Object"/> derives its own.
    /// </summary>
    public byte[] Utf8
    {
        get
        {
            var derived = For();
            return derived.Utf8 ??= ObjectJson.Utf8(Object);
        }
    }

    private Derived For()
    {
        if (derived is not { } current || !ReferenceEquals(current.Of, Object))
        {
            current = new Derived(Object);
            derived = current;
        }

        return current;
    }

    /// <summary>What is derived from <see cref="Object"/>, kept with the object it was derived from.</summary>
    private sealed class Derived(IKubernetesObject<V1ObjectMeta> of)
    {
        public IKubernetesObject<V1ObjectMeta> Of { get; } = of;

        public string Id { get; } = ManifestIds.Of(of);

        public byte[]? Utf8 { get; set; }
    }

    /// <summary><see cref="Utf8"/> parsed, for code that reads elements (a new element per call).</summary>
    public JsonElement Json => JsonElement.Parse(Utf8);

    /// <summary>
    /// Serializes each item's <see cref="Utf8"/> ahead of its readers, on every core: each object is independent, and
    /// serializing is the largest single cost of planning and rendering thousands of services.
    /// </summary>
    public static void SerializeAll(IEnumerable<ManifestItem> items)
    {
        // Those not serialized yet, in ranges: a render after the verification planner finds nothing left to do.
        const int RangeSize = 256;
        ManifestItem[] pending = [.. items.Where(i => i.For().Utf8 is null)];
        InOrder.For((pending.Length + RangeSize - 1) / RangeSize, range =>
        {
            for (var i = range * RangeSize; i < Math.Min(pending.Length, (range + 1) * RangeSize); i++)
            {
                _ = pending[i].Utf8;
            }
        });
    }

    /// <summary>
    /// Paths of fields (Pulumi property paths, e.g. <c>spec.replicas</c>) that a controller in the cluster changes after
    /// creation; the Pulumi program leaves them as they are on updates instead of setting them back (<c>ignoreChanges</c>).
    /// </summary>
    public ImmutableArray<string> IgnoreChanges { get; init; } = [];

    public string Kind => Object.Kind;

    public string Name => Object.Metadata.Name;

    public string? Namespace => Object.Metadata.NamespaceProperty;
}

/// <summary>
/// An upstream release manifest applied as published (Pulumi <c>Kubernetes.Yaml.V2.ConfigFile</c> with <c>File</c> = <see cref="Url"/>),
/// for bundles too large to carry as typed objects, e.g. the Gateway API CRDs. The URL must pin a release.
/// </summary>
public sealed record ManifestFileItem(string Name, string Url) : PlanItem
{
    public override string Id => $"ManifestFile/{Name}";
}

/// <summary>A Kubernetes Secret whose entries come from secret sources (generated or secret stack config).</summary>
public sealed record SecretItem(string Namespace, string Name, string Type, ImmutableArray<SecretEntry> Entries) : PlanItem
{
    public override string Id => $"Secret/{Namespace}/{Name}";

    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
}

public sealed record SecretEntry(string Key, SecretSource Source);

/// <summary>A value set at a dotted Helm values path from a secret source.</summary>
public sealed record SecretValue(string Path, SecretSource Source);

public static class ManifestIds
{
    public static string Of(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.NamespaceProperty is { } ns ? $"{obj.Kind}/{ns}/{obj.Metadata.Name}" : $"{obj.Kind}/{obj.Metadata.Name}";
}
