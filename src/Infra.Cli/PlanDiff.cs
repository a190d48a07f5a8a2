using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;

namespace Infra.Cli;

/// <summary>
/// One rendered thing, identified the way Kubernetes and Helm identify it: an object by API group, kind, namespace and
/// name (Istio's and Gateway API's <c>Gateway</c> are different things); a Helm release by namespace and release name.
/// </summary>
/// <param name="Fingerprint">The plan fingerprint the name ends with (verification Jobs), or null.</param>
public sealed record RenderedEntry(string ApiVersion, string Kind, string? Namespace, string Name, string Stage, JsonObject Content, string? Fingerprint = null)
{
    public const string HelmReleaseKind = "HelmRelease";

    /// <summary>Group, kind, namespace and name; a fingerprinted name without its fingerprint, so re-runs pair up.</summary>
    public (string Group, string Kind, string Namespace, string Name) Identity =>
        (ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : "", Kind, Namespace ?? "",
            Fingerprint is null ? Name : Name[..^(Fingerprint.Length + 1)]);

    public override string ToString() => $"{Kind} {(Namespace is null ? "" : Namespace + "/")}{Name}";

    /// <summary>Everything a plan renders, as the offline render writes it (secrets as placeholders).</summary>
    public static IEnumerable<RenderedEntry> Of(MeshPlan plan) =>
        plan.Stages.Where(s => !s.Items.IsEmpty).SelectMany(stage =>
        {
            var folder = PlanRenderer.StageFolder(stage);
            var releases = stage.Items.OfType<HelmReleaseItem>().Select(r => new RenderedEntry(
                "helm.sh/v3", HelmReleaseKind, r.Namespace, r.ReleaseName, folder, new JsonObject
                {
                    ["chart"] = r.Chart,
                    ["repository"] = r.Repository,
                    ["version"] = r.Version,
                    ["values"] = ObjectJson.Values(r, source => JsonValue.Create(source.Placeholder)),
                }));
            var fingerprints = stage.Items.OfType<ManifestItem>().Where(m => m.FingerprintSuffix is not null)
                .ToDictionary(m => (m.Kind, m.Namespace, m.Name), m => m.FingerprintSuffix);
            var objects = PlanRenderer.Objects(stage).Select(o =>
            {
                var (kind, ns, name) = ((string)o["kind"]!, (string?)o["metadata"]!["namespace"], (string)o["metadata"]!["name"]!);
                return new RenderedEntry((string)o["apiVersion"]!, kind, ns, name, folder, o, fingerprints.GetValueOrDefault((kind, ns, name)));
            });
            return releases.Concat(objects);
        });
}

/// <summary>An entry both sides render, differently: the paths whose values differ, and how much a reviewer should care.</summary>
public sealed record ChangedEntry(RenderedEntry From, RenderedEntry To, ImmutableArray<ChangedValue> Changes)
{
    /// <summary>What kind of change this is, most consequential first (see <see cref="ChangeCategory"/>).</summary>
    public ChangeCategory Category => PlanDiff.Categorize(To, Changes);

    /// <summary>Only the plan fingerprint changed (a verification Job re-run under a new name, with its checks ConfigMap).</summary>
    public bool OnlyFingerprint => Meaningful.IsEmpty && From.Fingerprint != To.Fingerprint;

    /// <summary>The changes a reviewer reads: all but values that differ only by the fingerprint (the name, the mounted ConfigMap's name).</summary>
    public ImmutableArray<ChangedValue> Meaningful => [.. Changes.Where(v => !IsFingerprint(v))];

    private bool IsFingerprint(ChangedValue value) =>
        From.Fingerprint is { } from && To.Fingerprint is { } to && from != to
        && value.From is JsonValue before && before.TryGetValue<string>(out var a)
        && value.To is JsonValue after && after.TryGetValue<string>(out var b)
        && a.Replace(from, to, StringComparison.Ordinal) == b;
}

/// <summary>
/// A changed leaf (both sides scalars), or a subtree that is new, gone or of another type. List items that carry a
/// <c>name</c> (ports, routes, subsets, containers, env) are matched by name and written <c>ports[name=http]</c>, so
/// a reordered or inserted item does not shift every later index.
/// </summary>
public sealed record ChangedValue(string Path, JsonNode? From, JsonNode? To);

/// <summary>How a reviewer should rank a change; the diff lists them in this order.</summary>
public enum ChangeCategory
{
    /// <summary>Traffic weights: who gets how much of the requests.</summary>
    Weights,

    /// <summary>Security policy objects: who may call whom, mTLS.</summary>
    Policies,

    /// <summary>Helm values of the mesh, its gateways and addons.</summary>
    HelmValues,

    /// <summary>Everything else.</summary>
    Other,
}

/// <summary>
/// What <c>to</c> renders that <c>from</c> does not, the other way round, and what changed; works on plans and on
/// earlier renders alike (see <see cref="DiffSources"/>).
/// </summary>
public sealed partial record PlanDiff(
    ImmutableArray<RenderedEntry> Added,
    ImmutableArray<RenderedEntry> Removed,
    ImmutableArray<ChangedEntry> Changed,
    int Unchanged)
{
    /// <summary>Kinds that decide who may call whom (Istio, Linkerd, Kubernetes).</summary>
    private static readonly FrozenSet<string> PolicyKinds = FrozenSet.Create(StringComparer.Ordinal,
        "AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication", "Server", "ServerAuthorization",
        "MeshTLSAuthentication", "NetworkAuthentication", "NetworkPolicy", "Sidecar");

    public bool IsEmpty => Added.IsEmpty && Removed.IsEmpty && Changed.IsEmpty;

    /// <summary>Entries matched by <see cref="RenderedEntry.Identity"/>; changes most consequential first, then in apply order.</summary>
    public static PlanDiff Between(IEnumerable<RenderedEntry> from, IEnumerable<RenderedEntry> to)
    {
        var before = from.ToDictionary(e => e.Identity);
        var after = to.ToDictionary(e => e.Identity);
        var changed = after.Values.Where(e => before.ContainsKey(e.Identity))
            .Select(e => new ChangedEntry(before[e.Identity], e, [.. Changes(before[e.Identity].Content, e.Content, "")]))
            .Where(c => !c.Changes.IsEmpty || c.From.Stage != c.To.Stage)
            .ToList();
        return new PlanDiff(
            [.. Ordered(after.Values.Where(e => !before.ContainsKey(e.Identity)))],
            [.. Ordered(before.Values.Where(e => !after.ContainsKey(e.Identity)))],
            [.. changed.OrderBy(c => c.Category).ThenBy(c => c.To, EntryOrder.Instance)],
            after.Count - changed.Count - after.Keys.Count(k => !before.ContainsKey(k)));
    }

    public static PlanDiff Between(MeshPlan from, MeshPlan to) => Between(RenderedEntry.Of(from), RenderedEntry.Of(to));

    internal static ChangeCategory Categorize(RenderedEntry entry, IEnumerable<ChangedValue> changes) =>
        changes.Any(c => c.Path.EndsWith(".weight", StringComparison.Ordinal) || c.Path.Contains(".weight[", StringComparison.Ordinal)) ? ChangeCategory.Weights
        : PolicyKinds.Contains(entry.Kind) ? ChangeCategory.Policies
        : entry.Kind == RenderedEntry.HelmReleaseKind ? ChangeCategory.HelmValues
        : ChangeCategory.Other;

    private static IEnumerable<RenderedEntry> Ordered(IEnumerable<RenderedEntry> entries) => entries.Order(EntryOrder.Instance);

    private static IEnumerable<ChangedValue> Changes(JsonNode? from, JsonNode? to, string path)
    {
        switch (from, to)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal))
                {
                    var child = PlainKey().IsMatch(key) ? (path.Length == 0 ? key : $"{path}.{key}") : $"{path}[\"{key}\"]";
                    foreach (var change in Changes(a[key], b[key], child))
                    {
                        yield return change;
                    }
                }

                break;
            case (JsonArray a, JsonArray b) when ByName(a) is { } named && ByName(b) is { } otherNamed:
                foreach (var name in named.Keys.Union(otherNamed.Keys).Order(StringComparer.Ordinal))
                {
                    foreach (var change in Changes(named.GetValueOrDefault(name), otherNamed.GetValueOrDefault(name), $"{path}[name={name}]"))
                    {
                        yield return change;
                    }
                }

                break;
            case (JsonArray a, JsonArray b) when a.Count == b.Count:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var change in Changes(a[i], b[i], $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]"))
                    {
                        yield return change;
                    }
                }

                break;
            default:
                if (!JsonNode.DeepEquals(from, to))
                {
                    yield return new ChangedValue(path, from?.DeepClone(), to?.DeepClone());
                }

                break;
        }
    }

    /// <summary>A list's items by their <c>name</c>, when every item is an object with a distinct string name.</summary>
    private static Dictionary<string, JsonNode>? ByName(JsonArray list)
    {
        var byName = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            if (item is not JsonObject { } obj || obj["name"] is not JsonValue name || name.GetValueKind() != System.Text.Json.JsonValueKind.String
                || !byName.TryAdd(name.GetValue<string>(), obj))
            {
                return null;
            }
        }

        return byName.Count == 0 ? null : byName;
    }

    /// <summary>Keys written as <c>.key</c>; others (label keys such as <c>app.kubernetes.io/name</c>) as <c>["key"]</c>.</summary>
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$")]
    private static partial Regex PlainKey();

    /// <summary>By stage (apply order), then kind, namespace and name: the order a reviewer reads plan.md in.</summary>
    private sealed class EntryOrder : IComparer<RenderedEntry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(RenderedEntry? x, RenderedEntry? y) =>
            (x, y) switch
            {
                (null, null) => 0,
                (null, _) => -1,
                (_, null) => 1,
                _ => StringComparer.Ordinal.Compare($"{x.Stage}\0{x.Kind}\0{x.Namespace}\0{x.Name}\0{x.ApiVersion}", $"{y.Stage}\0{y.Kind}\0{y.Namespace}\0{y.Name}\0{y.ApiVersion}"),
            };
    }
}
