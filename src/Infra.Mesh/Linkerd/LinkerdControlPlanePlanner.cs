using System.Text.Json.Nodes;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Linkerd;

/// <summary>Installs Linkerd from its official charts: <c>linkerd-crds</c>, then <c>linkerd-control-plane</c> with managed identity.</summary>
public sealed class LinkerdControlPlanePlanner : IPlanner
{
    public const string TrustAnchorSlot = "linkerd-trust-anchor";
    public const string IssuerSlot = "linkerd-identity-issuer";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        var linkerd = settings.Linkerd;
        var crds = plan.Add(StageKind.Crds, new HelmReleaseItem(
            "linkerd-crds", "linkerd-crds", LinkerdSettings.ChartRepository, linkerd.Version, LinkerdSettings.SystemNamespace,
            [], [])
        {
            Protect = settings.IsProduction,
            RetainOnDelete = settings.IsProduction,
        });

        plan.AddSlot(new CertificateAuthoritySlot(TrustAnchorSlot, "root.linkerd.cluster.local", linkerd.Identity.TrustAnchorValidityHours) { Protect = true });
        plan.AddSlot(new IntermediateCertificateSlot(IssuerSlot, "identity.linkerd.cluster.local", TrustAnchorSlot,
            linkerd.Identity.IssuerValidityHours, linkerd.Identity.IssuerRenewBeforeHours));

        plan.Add(StageKind.ControlPlane, new HelmReleaseItem(
            "linkerd-control-plane", "linkerd-control-plane", LinkerdSettings.ChartRepository, linkerd.Version, LinkerdSettings.SystemNamespace,
            new JsonObject(),
            [
                new SecretValue("identityTrustAnchorsPEM", new GeneratedSecret(TrustAnchorSlot, SlotOutput.CertificatePem)),
                new SecretValue("identity.issuer.tls.crtPEM", new GeneratedSecret(IssuerSlot, SlotOutput.CertificatePem)),
                new SecretValue("identity.issuer.tls.keyPEM", new GeneratedSecret(IssuerSlot, SlotOutput.PrivateKeyPem)),
            ])
        {
            DependsOn = [crds.Id],
        });
    }
}
