using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA160: with <c>identity.issuer: pulumi</c> the issuer is replaced only by a <c>pulumi up</c> run inside its
/// renewal window (Pulumi.Tls early renewal); a window shorter than the gap between two realistic deploys (two weeks:
/// a holiday, a release freeze) lets the issuer expire, and then no new pod gets an identity.
/// </summary>
public sealed class CertificateRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.IssuerRenewal];

    public IReadOnlyList<string> Reads { get; } = ["linkerd"];

    public const int RealisticDeployGapHours = 14 * 24;

    public void Check(RuleContext context)
    {
        var identity = context.Settings.Linkerd.Identity;
        if (context.Settings.Mesh != MeshKind.Linkerd || identity.Issuer != IssuerManagement.Pulumi || identity.IssuerRenewBeforeHours >= RealisticDeployGapHours)
        {
            return;
        }

        var node = context.Key("linkerd")["identity"]["issuerRenewBeforeHours"];
        context.Report(RuleCatalog.IssuerRenewal, node.Exists ? node : context.Key("linkerd")["identity"],
            $"{identity.IssuerRenewBeforeHours}: the issuer is renewed only by a pulumi up in the last {identity.IssuerRenewBeforeHours} hours before it expires; "
            + $"allow at least {RealisticDeployGapHours} hours, or set identity.issuer: cert-manager, which renews it without deploys");
    }
}
