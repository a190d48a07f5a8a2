using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Istio;

/// <summary>One istiod control plane; several run side by side during a revision-based upgrade.</summary>
public sealed record IstioRevision(string Name, string Version);

/// <summary>Istio specifics of a stack (<c>infra:istio</c>).</summary>
/// <param name="Version">Chart version of <c>base</c> (CRDs) and the ingress <c>gateway</c>.</param>
/// <param name="Revisions">istiod revisions installed side by side.</param>
/// <param name="Tag">The revision tag application namespaces select with <c>istio.io/rev</c>.</param>
/// <param name="TagRevision">The revision the tag points at.</param>
/// <param name="OutboundTrafficPolicy">REGISTRY_ONLY (only declared hosts) or ALLOW_ANY.</param>
public sealed partial record IstioSettings(
    string Version,
    ImmutableArray<IstioRevision> Revisions,
    string Tag,
    string TagRevision,
    string OutboundTrafficPolicy)
{
    public const string PinnedVersion = "1.30.3";
    public const string ChartRepository = "https://istio-release.storage.googleapis.com/charts";
    public const string SystemNamespace = "istio-system";

    public static IstioSettings Read(ConfigNode node, bool production)
    {
        node.IsMapping("version", "revisions", "tag", "tagRevision", "outboundTrafficPolicy");
        var version = node["version"].Matching(SemVer(), "a chart version such as 1.30.3", PinnedVersion) ?? PinnedVersion;

        var revisions = node["revisions"].Items().Select(r =>
        {
            r.IsMapping("name", "version");
            return new IstioRevision(
                r["name"].Matching(Names.Dns1123Label(), "a DNS-1123 label such as 1-30-3") ?? "",
                r["version"].Matching(SemVer(), "a chart version such as 1.30.3", version) ?? version);
        }).ToImmutableArray();
        if (revisions.IsEmpty)
        {
            revisions = [new IstioRevision(RevisionName(version), version)];
        }

        foreach (var duplicate in revisions.GroupBy(r => r.Name).Where(g => g.Count() > 1))
        {
            node["revisions"].Error($"revision '{duplicate.Key}' is declared more than once");
        }

        var tagRevision = node["tagRevision"].OneOf(revisions[^1].Name, [.. revisions.Select(r => r.Name)]) ?? revisions[^1].Name;
        return new IstioSettings(
            version,
            revisions,
            node["tag"].Matching(Names.Dns1123Label(), "a DNS-1123 label", "stable") ?? "stable",
            tagRevision,
            node["outboundTrafficPolicy"].OneOf(production ? "REGISTRY_ONLY" : "ALLOW_ANY", "REGISTRY_ONLY", "ALLOW_ANY") ?? "REGISTRY_ONLY");
    }

    /// <summary>Istio's revision naming: the version with dots as dashes (1.30.3 → 1-30-3).</summary>
    public static string RevisionName(string version) => version.Replace('.', '-');

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
