using System.Text.RegularExpressions;

namespace Infra.Mesh.Settings;

public enum IssuerManagement
{
    /// <summary>Pulumi.Tls creates the issuer; a routine <c>pulumi up</c> renews it before it expires.</summary>
    Pulumi,

    /// <summary>cert-manager issues and rotates the issuer from the trust anchor.</summary>
    CertManager,
}

/// <summary>Identity certificates of the Linkerd control plane.</summary>
public sealed record LinkerdIdentitySettings(
    IssuerManagement Issuer,
    int TrustAnchorValidityHours,
    int IssuerValidityHours,
    int IssuerRenewBeforeHours);

/// <summary>Linkerd specifics of a stack (<c>infra:linkerd</c>).</summary>
/// <param name="Version">Chart version of every Linkerd chart (they are released together).</param>
/// <param name="Viz">Install linkerd-viz: metrics, tap, dashboard and the service graph.</param>
/// <param name="Cni">
/// Set up pod networking with the linkerd-cni DaemonSet instead of the NET_ADMIN/NET_RAW proxy-init container,
/// so meshed pods pass Pod Security Admission <c>restricted</c>. Required in prod, where that level is enforced.
/// </param>
public sealed partial record LinkerdSettings(string Version, bool Viz, bool Cni, LinkerdIdentitySettings Identity)
{
    /// <summary>
    /// The cluster's own Prometheus (<c>infra:linkerd.scraper</c>), authorized like viz's on every service's metrics
    /// port; null when the stack declares none.
    /// </summary>
    public MetricsScraper? Scraper { get; init; }

    public const string PinnedChartVersion = "2026.8.3";
    public const string ChartRepository = "https://helm.linkerd.io/edge";
    public const string SystemNamespace = "linkerd";
    public const string VizNamespace = "linkerd-viz";
    public const string CniNamespace = "linkerd-cni";

    public static LinkerdSettings Read(ConfigNode node, bool production)
    {
        node.IsMapping("version", "viz", "cni", "identity", "scraper");
        var identity = node["identity"];
        identity.IsMapping("issuer", "trustAnchorValidityHours", "issuerValidityHours", "issuerRenewBeforeHours");
        var issuerValidity = identity["issuerValidityHours"].WholeNumber(24 * 90, 24, 24 * 365);
        var cni = node["cni"].Bool(true);
        if (production && !cni)
        {
            node["cni"].Error("prod requires true: Pod Security Admission 'restricted' is enforced there and rejects proxy-init's NET_ADMIN/NET_RAW");
        }

        var trustAnchorValidity = identity["trustAnchorValidityHours"].WholeNumber(24 * 365 * 10, 24 * 30, 24 * 365 * 20);
        if (issuerValidity >= trustAnchorValidity)
        {
            identity["issuerValidityHours"].Error($"{issuerValidity} must be below trustAnchorValidityHours ({trustAnchorValidity}): an issuer cannot outlive the anchor that signs it");
        }

        return new LinkerdSettings(
            node["version"].Matching(ChartVersion(), "a Linkerd chart version such as 2026.8.3", PinnedChartVersion),
            node["viz"].Bool(true),
            cni,
            new LinkerdIdentitySettings(
                identity["issuer"].OneOf("pulumi", "pulumi", "cert-manager") == "cert-manager" ? IssuerManagement.CertManager : IssuerManagement.Pulumi,
                trustAnchorValidity,
                issuerValidity,
                identity["issuerRenewBeforeHours"].WholeNumber(DefaultRenewBefore(issuerValidity), 1, issuerValidity - 1)))
        {
            Scraper = MetricsScraper.Read(node["scraper"]),
        };
    }

    /// <summary>
    /// 30 days before expiry, but never more than a third of a short-lived issuer's lifetime: a window as long as the
    /// lifetime would replace the issuer on every <c>pulumi up</c>.
    /// </summary>
    public static int DefaultRenewBefore(int issuerValidityHours) => Math.Min(24 * 30, Math.Max(1, issuerValidityHours / 3));

    /// <summary>Edge chart versions are YYYY.M.N (edge-26.8.3 is chart 2026.8.3).</summary>
    [GeneratedRegex(@"^[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,3}$")]
    private static partial Regex ChartVersion();
}

/// <summary>
/// A Prometheus outside the stack that scrapes the services' metrics ports: its service account, and whether its pods
/// are meshed (then it is authorized by its mTLS identity; otherwise it scrapes in plain text and is authorized by
/// network, which admits any client on the metrics path).
/// </summary>
public sealed record MetricsScraper(string Namespace, string ServiceAccount, bool Meshed)
{
    internal static MetricsScraper? Read(ConfigNode node)
    {
        if (!node.Exists || !node.IsMapping("namespace", "serviceAccount", "meshed"))
        {
            return null;
        }

        var ns = node["namespace"].RequiredText() is not null
            ? node["namespace"].Matching(Names.Dns1123Label(), "a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
            : null;
        var account = node["serviceAccount"].RequiredText() is not null
            ? node["serviceAccount"].Matching(Names.Dns1123Label(), "a service account name (lowercase letters, digits, '-', at most 63)")
            : null;
        var meshed = node["meshed"].Bool(true);
        return ns is null || account is null ? null : new MetricsScraper(ns, account, meshed);
    }
}
