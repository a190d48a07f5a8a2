using Infra.Mesh.Settings;

namespace Infra.Mesh.Linkerd;

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
public sealed record LinkerdSettings(string Version, bool Viz, LinkerdIdentitySettings Identity)
{
    public const string PinnedChartVersion = "2026.8.3";
    public const string ChartRepository = "https://helm.linkerd.io/edge";
    public const string SystemNamespace = "linkerd";
    public const string VizNamespace = "linkerd-viz";

    public static LinkerdSettings Read(ConfigNode node)
    {
        node.IsMapping("version", "viz", "identity");
        var identity = node["identity"];
        identity.IsMapping("issuer", "trustAnchorValidityHours", "issuerValidityHours", "issuerRenewBeforeHours");
        var issuerValidity = identity["issuerValidityHours"].WholeNumber(24 * 90, 24, 24 * 365) ?? 24 * 90;
        return new LinkerdSettings(
            node["version"].Text() ?? PinnedChartVersion,
            node["viz"].Bool(true) ?? true,
            new LinkerdIdentitySettings(
                identity["issuer"].OneOf("pulumi", "pulumi", "cert-manager") == "cert-manager" ? IssuerManagement.CertManager : IssuerManagement.Pulumi,
                identity["trustAnchorValidityHours"].WholeNumber(24 * 365 * 10, 24 * 30, 24 * 365 * 20) ?? 24 * 365 * 10,
                issuerValidity,
                identity["issuerRenewBeforeHours"].WholeNumber(24 * 30, 1, issuerValidity - 1) ?? 24 * 30));
    }
}
