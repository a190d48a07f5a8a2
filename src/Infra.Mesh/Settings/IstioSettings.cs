using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Infra.Mesh.Settings;

/// <summary>One istiod control plane; several run side by side during a revision-based upgrade.</summary>
public sealed record IstioRevision(string Name, string Version);

/// <summary>Size of each istiod revision: replicas (autoscaled when the maximum is above the minimum) and resources.</summary>
public sealed record IstiodSettings(int MinReplicas, int MaxReplicas, string Cpu, string Memory, string CpuLimit, string MemoryLimit)
{
    public bool Autoscaled => MaxReplicas > MinReplicas;
}

/// <summary>How application pods join the Istio mesh (<c>infra:istio.dataplane</c>).</summary>
public enum IstioDataplane
{
    /// <summary>An Envoy sidecar injected into every pod: L4 and L7 in the pod itself.</summary>
    Sidecar,

    /// <summary>
    /// No sidecar: a per-node ztunnel carries mTLS and L4 authorization, and a waypoint proxy per namespace adds L7
    /// (routes, method/path authorization, retries, timeouts) for the services that need it.
    /// </summary>
    Ambient,
}

/// <summary>Istio specifics of a stack (<c>infra:istio</c>).</summary>
/// <param name="Version">Chart version of <c>base</c> (CRDs), <c>cni</c> and the ingress <c>gateway</c>; never older than a revision.</param>
/// <param name="Revisions">istiod revisions installed side by side.</param>
/// <param name="Tag">The revision tag application namespaces select with <c>istio.io/rev</c>.</param>
/// <param name="TagRevision">The revision the tag points at.</param>
/// <param name="OutboundTrafficPolicy">REGISTRY_ONLY (only declared hosts) or ALLOW_ANY.</param>
/// <param name="Cni">Istio CNI sets up traffic redirection, so pods need no privileged istio-init container.</param>
public sealed partial record IstioSettings(
    string Version,
    ImmutableArray<IstioRevision> Revisions,
    string Tag,
    string TagRevision,
    string OutboundTrafficPolicy,
    bool Cni,
    IstiodSettings Istiod)
{
    /// <summary>Sidecar (default) or ambient; an init property so the positional record stays source-compatible.</summary>
    public IstioDataplane Dataplane { get; init; } = IstioDataplane.Sidecar;

    public bool Ambient => Dataplane == IstioDataplane.Ambient;

    public const string PinnedVersion = "1.30.3";
    public const string ChartRepository = "https://istio-release.storage.googleapis.com/charts";
    public const string SystemNamespace = "istio-system";
    public const string RegistryOnly = "REGISTRY_ONLY";

    public static IstioSettings Read(ConfigNode node, bool production)
    {
        node.IsMapping("version", "revisions", "tag", "tagRevision", "outboundTrafficPolicy", "cni", "istiod", "dataplane");
        var dataplane = node["dataplane"].OneOf("sidecar", "sidecar", "ambient") == "ambient" ? IstioDataplane.Ambient : IstioDataplane.Sidecar;
        var version = node["version"].Matching(SemVer(), "a chart version such as 1.30.3", PinnedVersion);

        var revisions = node["revisions"].Items().Select(r =>
        {
            r.IsMapping("name", "version");
            var revision = new IstioRevision(
                r["name"].RequiredText() is null ? "" : r["name"].Matching(Names.Dns1123Label(), "a DNS-1123 label such as 1-30-3") ?? "",
                r["version"].Matching(SemVer(), "a chart version such as 1.30.3", version));
            if (IsNewer(revision.Version, version))
            {
                // The CRDs (base) must know every field the newest control plane writes.
                r["version"].Error($"'{revision.Version}' is newer than infra:istio.version ({version}); raise version first so the CRDs are upgraded before the control plane");
            }

            return revision;
        }).ToImmutableArray();
        if (revisions.IsEmpty)
        {
            revisions = [new IstioRevision(RevisionName(version), version)];
        }

        foreach (var duplicate in revisions.GroupBy(r => r.Name).Where(g => g.Count() > 1))
        {
            node["revisions"].Error($"revision '{duplicate.Key}' is declared more than once");
        }

        var tagRevision = node["tagRevision"].OneOf(revisions[^1].Name, [.. revisions.Select(r => r.Name)]);

        var outbound = node["outboundTrafficPolicy"].OneOf(production ? RegistryOnly : "ALLOW_ANY", RegistryOnly, "ALLOW_ANY");
        if (dataplane == IstioDataplane.Ambient && node["outboundTrafficPolicy"].Exists)
        {
            // What ztunnel receives (pilot/pkg/serviceregistry/ambient, 1.30.3) never reads meshConfig.outboundTrafficPolicy:
            // only Envoy proxies (sidecars, gateways, waypoints) enforce it, so an ambient pod reaches any destination.
            node["outboundTrafficPolicy"].Error($"'{outbound}' means nothing with infra:istio.dataplane: ambient (ztunnel forwards to any destination); remove the key and restrict egress with a Kubernetes NetworkPolicy, or use dataplane: sidecar");
        }
        else if (production && outbound != RegistryOnly)
        {
            node["outboundTrafficPolicy"].Error($"'{outbound}' is not allowed in prod; allowed: {RegistryOnly} (declare external hosts per service in externalHosts)");
        }

        var cni = node["cni"].Bool(true);
        if (!cni && dataplane == IstioDataplane.Ambient)
        {
            // The ambient profile's cni.ambient.enabled makes the node agent move each pod's traffic into ztunnel.
            node["cni"].Error("'false' is not allowed with infra:istio.dataplane: ambient: the istio-cni node agent is what redirects pod traffic to ztunnel; allowed: true (or use dataplane: sidecar)");
        }
        else if (production && !cni)
        {
            node["cni"].Error("'false' is not allowed in prod: Pod Security 'restricted' is enforced there and forbids the NET_ADMIN/NET_RAW istio-init container that replaces CNI");
        }

        return new IstioSettings(
            version,
            revisions,
            node["tag"].Matching(Names.Dns1123Label(), "a DNS-1123 label", "stable"),
            tagRevision,
            outbound,
            cni,
            ReadIstiod(node["istiod"], production))
        {
            Dataplane = dataplane,
        };
    }

    private static IstiodSettings ReadIstiod(ConfigNode node, bool production)
    {
        node.IsMapping("minReplicas", "maxReplicas", "cpu", "memory", "cpuLimit", "memoryLimit");
        var min = node["minReplicas"].WholeNumber(production ? 2 : 1, 1, 20);
        if (production && min < 2)
        {
            node["minReplicas"].Error($"{min} is not allowed in prod; at least 2, so a node drain or a crash never leaves sidecars without a control plane");
        }

        var max = node["maxReplicas"].WholeNumber(production ? Math.Max(5, min) : min, 1, 50);
        if (max < min)
        {
            node["maxReplicas"].Error($"{max} is below minReplicas ({min})");
        }

        const string cpu = "a CPU quantity such as 500m or 2";
        const string memory = "a memory quantity such as 2Gi";
        return new IstiodSettings(
            min,
            max,
            node["cpu"].Matching(Names.Quantity(), cpu, production ? "500m" : "100m"),
            node["memory"].Matching(Names.Quantity(), memory, production ? "2Gi" : "256Mi"),
            node["cpuLimit"].Matching(Names.Quantity(), cpu, production ? "2" : "1"),
            node["memoryLimit"].Matching(Names.Quantity(), memory, production ? "4Gi" : "1Gi"));
    }

    /// <summary>Istio's revision naming: the version with dots as dashes (1.30.3 → 1-30-3).</summary>
    public static string RevisionName(string version) => version.Replace('.', '-');

    /// <summary>Whether <paramref name="version"/> is a later release than <paramref name="than"/> (pre-release suffixes ignored).</summary>
    public static bool IsNewer(string version, string than) => Release(version) > Release(than);

    private static Version Release(string version)
    {
        var numbers = version.Split('-')[0].Split('.').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        return new Version(numbers[0], numbers[1], numbers[2]);
    }

    [GeneratedRegex(@"^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
