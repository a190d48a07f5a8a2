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
public sealed record RenderedEntry(string ApiVersion, string Kind, string? Namespace, string Name, string Stage, JsonObject Content)
{
    public const string HelmReleaseKind = "HelmRelease";

    public (string Group, string Kind, string Namespace, string Name) Identity =>
        (ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : "", Kind, Namespace ?? "", Name);

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
            var objects = PlanRenderer.Objects(stage).Select(o => new RenderedEntry(
                (string)o["apiVersion"]!, (string)o["kind"]!, (string?)o["metadata"]!["namespace"], (string)o["metadata"]!["name"]!, folder, o));
            return releases.Concat(objects);
        });
}

/// <summary>An entry both stacks render, differently: the paths (dotted, <c>[i]</c> for list items) whose values differ.</summary>
public sealed record ChangedEntry(RenderedEntry From, RenderedEntry To, ImmutableArray<ChangedValue> Changes);

/// <summary>A changed leaf (both sides scalars) or subtree (a list that changed length, or a type change).</summary>
public sealed record ChangedValue(string Path, JsonNode? From, JsonNode? To);

/// <summary>What <c>to</c> renders that <c>from</c> does not, and the other way round; useful to review what prod gets that dev does not.</summary>
public sealed partial record PlanDiff(
    ImmutableArray<RenderedEntry> Added,
    ImmutableArray<RenderedEntry> Removed,
    ImmutableArray<ChangedEntry> Changed,
    int Unchanged)
{
    public static PlanDiff Between(MeshPlan from, MeshPlan to)
    {
        var before = RenderedEntry.Of(from).ToDictionary(e => e.Identity);
        var after = RenderedEntry.Of(to).ToDictionary(e => e.Identity);
        var changed = after.Values.Where(e => before.ContainsKey(e.Identity))
            .Select(e => new ChangedEntry(before[e.Identity], e, [.. Changes(before[e.Identity].Content, e.Content, "")]))
            .Where(c => !c.Changes.IsEmpty || c.From.Stage != c.To.Stage)
            .ToList();
        return new PlanDiff(
            [.. Ordered(after.Values.Where(e => !before.ContainsKey(e.Identity)))],
            [.. Ordered(before.Values.Where(e => !after.ContainsKey(e.Identity)))],
            [.. changed.OrderBy(c => c.To, EntryOrder.Instance)],
            after.Count - changed.Count - after.Keys.Count(k => !before.ContainsKey(k)));
    }

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
