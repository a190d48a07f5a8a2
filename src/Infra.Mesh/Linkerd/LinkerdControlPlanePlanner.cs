using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Linkerd.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using k8s.Models;

namespace Infra.Mesh.Linkerd;

/// <summary>
/// Installs Linkerd from its official charts: the Gateway API CRDs and Linkerd's namespaces first, then the releases
/// <c>linkerd-crds</c>, <c>linkerd2-cni</c> and <c>linkerd-control-plane</c> in that order, with the control plane's
/// identity: a trust anchor and an issuer made by Pulumi.Tls, or an issuer cert-manager issues and rotates from the anchor.
/// Everything a release needs sits in an earlier stage or is an earlier release of its stage, so stage order alone
/// already applies them in the right order.
/// </summary>
public sealed class LinkerdControlPlanePlanner : IPlanner
{
    public const string TrustAnchorSlot = "linkerd-trust-anchor";
    public const string IssuerSlot = "linkerd-identity-issuer";

    /// <summary>The issuer Secret the identity controller reads (fixed by the chart).</summary>
    public const string IssuerSecretName = "linkerd-identity-issuer";

    /// <summary>The trust anchor key pair cert-manager's CA Issuer signs with.</summary>
    public const string TrustAnchorSecretName = "linkerd-trust-anchor";

    public const string ControlPlaneRelease = "linkerd-control-plane";

    /// <summary>The identity controller's name, which every issuer certificate must carry.</summary>
    private const string IssuerCommonName = "identity.linkerd.cluster.local";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        var linkerd = settings.Linkerd;
        var production = settings.IsProduction;

        // The mesh's own namespaces come with the CRDs, so every release and Secret of the later stages finds its namespace.
        var gatewayApi = plan.Add(StageKind.Crds, GatewayApiCrds.Item(production));
        var linkerdNamespace = plan.Add(StageKind.Crds, LinkerdNamespaces.ControlPlane(linkerd.Cni));
        var crds = plan.Add(StageKind.ControlPlane, Release("linkerd-crds", "linkerd-crds", LinkerdSettings.SystemNamespace, linkerd, [], []) with
        {
            // The CRDs hold every policy and route of the cluster: never delete them with the stack in prod.
            Protect = production,
            RetainOnDelete = production,
            DependsOn = [linkerdNamespace.Id],
        });

        var controlPlaneNeeds = new List<string> { crds.Id, gatewayApi.Id };
        if (linkerd.Cni)
        {
            var cniNamespace = plan.Add(StageKind.Crds, LinkerdNamespaces.Cni());
            // No values: the chart's defaults match the control plane's (proxy ports and UID, nft iptables).
            var cni = plan.Add(StageKind.ControlPlane, Release("linkerd2-cni", "linkerd2-cni", LinkerdSettings.CniNamespace, linkerd, [], []) with
            {
                DependsOn = [cniNamespace.Id],
            });
            controlPlaneNeeds.Add(cni.Id);
        }

        // The trust anchor outlives every issuer; losing it means re-issuing every identity, so it is protected.
        plan.AddSlot(new CertificateAuthoritySlot(TrustAnchorSlot, "root.linkerd.cluster.local", linkerd.Identity.TrustAnchorValidityHours) { Protect = true });
        var values = ControlPlaneValues(settings);
        var trustAnchor = new SecretValue("identityTrustAnchorsPEM", new GeneratedSecret(TrustAnchorSlot, SlotOutput.CertificatePem));
        ImmutableArray<SecretValue> secretValues;
        if (linkerd.Identity.Issuer == IssuerManagement.CertManager)
        {
            controlPlaneNeeds.AddRange(PlanCertManagerIssuer(plan, linkerd.Identity, linkerdNamespace.Id));
            // The identity controller reads the Secret cert-manager writes instead of a chart-made one.
            values["identity"] = new JsonObject { ["issuer"] = new JsonObject { ["scheme"] = "kubernetes.io/tls" } };
            secretValues = [trustAnchor];
        }
        else
        {
            plan.AddSlot(new IntermediateCertificateSlot(IssuerSlot, IssuerCommonName, TrustAnchorSlot,
                linkerd.Identity.IssuerValidityHours, linkerd.Identity.IssuerRenewBeforeHours));
            secretValues =
            [
                trustAnchor,
                new SecretValue("identity.issuer.tls.crtPEM", new GeneratedSecret(IssuerSlot, SlotOutput.CertificatePem)),
                new SecretValue("identity.issuer.tls.keyPEM", new GeneratedSecret(IssuerSlot, SlotOutput.PrivateKeyPem)),
            ];
        }

        plan.Add(StageKind.ControlPlane, Release(ControlPlaneRelease, "linkerd-control-plane", LinkerdSettings.SystemNamespace, linkerd, values, secretValues) with
        {
            DependsOn = [.. controlPlaneNeeds],
            // Helm waits for the proxy injector and the other control-plane Deployments to be ready; JVM-free, but HA
            // rollouts across zones can be slow.
            TimeoutSeconds = production ? 900 : 600,
        });
    }

    /// <summary>A release of one of Linkerd's charts; the namespaces are planned objects, so Helm must not create them.</summary>
    public static HelmReleaseItem Release(
        string release, string chart, string ns, LinkerdSettings linkerd, JsonObject values, ImmutableArray<SecretValue> secretValues) =>
        new(release, chart, LinkerdSettings.ChartRepository, linkerd.Version, ns, values, secretValues) { CreateNamespace = false };

    /// <summary>
    /// cert-manager (assumed installed) keeps the issuer certificate in <see cref="IssuerSecretName"/>, signed by a CA
    /// Issuer holding the trust anchor, and renews it <see cref="LinkerdIdentitySettings.IssuerRenewBeforeHours"/> before expiry.
    /// </summary>
    private static IEnumerable<string> PlanCertManagerIssuer(PlanBuilder plan, LinkerdIdentitySettings identity, string namespaceId)
    {
        var ns = LinkerdSettings.SystemNamespace;
        var anchor = plan.Add(StageKind.ControlPlane, new SecretItem(ns, TrustAnchorSecretName, "kubernetes.io/tls",
        [
            new SecretEntry("tls.crt", new GeneratedSecret(TrustAnchorSlot, SlotOutput.CertificatePem)),
            new SecretEntry("tls.key", new GeneratedSecret(TrustAnchorSlot, SlotOutput.PrivateKeyPem)),
        ])
        {
            DependsOn = [namespaceId],
            Labels = Labels.Managed().ToImmutableSortedDictionary(StringComparer.Ordinal),
        });
        // cert-manager reconciles until the anchor Secret exists, so its objects can go ahead with the namespace.
        var issuer = plan.Add(StageKind.Crds, new ManifestItem(new Issuer(Meta(TrustAnchorSecretName), new IssuerSpec(new CaIssuer(TrustAnchorSecretName))))
        {
            DependsOn = [namespaceId],
        });
        var certificate = plan.Add(StageKind.Crds, new ManifestItem(new Certificate(Meta(IssuerSecretName), new CertificateSpec(
            IssuerSecretName,
            IssuerCommonName,
            [IssuerCommonName],
            IsCA: true,
            Hours(identity.IssuerValidityHours),
            Hours(identity.IssuerRenewBeforeHours),
            new CertificatePrivateKey("ECDSA", 256, "Always"),
            ["cert sign", "crl sign", "server auth", "client auth"],
            new IssuerReference(TrustAnchorSecretName, "Issuer", "cert-manager.io"))))
        {
            DependsOn = [issuer.Id],
        });
        return [anchor.Id, certificate.Id];
    }

    private static string Hours(int hours) => hours.ToString(CultureInfo.InvariantCulture) + "h";

    private static V1ObjectMeta Meta(string name) =>
        new() { Name = name, NamespaceProperty = LinkerdSettings.SystemNamespace, Labels = Labels.Managed() };

    /// <summary>
    /// Per-component resource keys of values-ha.yaml that the chart's templates read although values.yaml does not
    /// declare them (linkerd2 edge-26.8.3, each through <c>partials.resources</c>), with the template that reads each.
    /// values-ha.yaml's <c>controllerResources</c> (only a YAML anchor for the others) and <c>highAvailability</c>
    /// (read by `linkerd check`, not by any template) are left out.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> UndeclaredComponentResources = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["destinationResources"] = "charts/linkerd-control-plane/templates/destination.yaml (destination container)",
        ["spValidatorResources"] = "charts/linkerd-control-plane/templates/destination.yaml (sp-validator container)",
        ["identityResources"] = "charts/linkerd-control-plane/templates/identity.yaml",
        ["proxyInjectorResources"] = "charts/linkerd-control-plane/templates/proxy-injector.yaml",
        ["heartbeatResources"] = "charts/linkerd-control-plane/templates/heartbeat.yaml",
    };

    /// <summary>
    /// Values of <c>linkerd-control-plane</c>. Prod takes the chart's values-ha.yaml: the keys values.yaml declares, and
    /// the per-component resources of <see cref="UndeclaredComponentResources"/>, which its templates read.
    /// </summary>
    private static JsonObject ControlPlaneValues(StackSettings settings)
    {
        var values = new JsonObject
        {
            // Pods get their network from linkerd-cni, so injection adds no NET_ADMIN/NET_RAW proxy-init container.
            ["cniEnabled"] = settings.Linkerd.Cni,
        };
        if (!settings.IsProduction)
        {
            return values;
        }

        values["controllerReplicas"] = 3;
        values["enablePodAntiAffinity"] = true;
        values["enablePodDisruptionBudget"] = true;
        values["controller"] = new JsonObject { ["podDisruptionBudget"] = new JsonObject { ["maxUnavailable"] = 1 } };
        values["deploymentStrategy"] = new JsonObject { ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = 1, ["maxSurge"] = "25%" } };
        // With the injector down, a pod must fail to be created rather than start without a proxy (and its policy).
        values["webhookFailurePolicy"] = "Fail";
        values["policyController"] = new JsonObject { ["resources"] = Resources("100m", "50Mi", "250Mi") };
        values["proxy"] = new JsonObject { ["resources"] = Resources("100m", "20Mi", "250Mi") };
        // Without these the controllers run with no requests or limits: the first to be evicted under node pressure.
        values["destinationResources"] = Resources("100m", "50Mi", "250Mi");
        values["spValidatorResources"] = Resources("100m", "50Mi", "250Mi");
        values["identityResources"] = Resources("100m", "10Mi", "250Mi");
        values["proxyInjectorResources"] = Resources("100m", "50Mi", "250Mi");
        values["heartbeatResources"] = Resources("100m", "50Mi", "250Mi");
        return values;
    }

    /// <summary>Linkerd's resource shape: requests and limits per resource, the CPU limit left unset (no throttling).</summary>
    public static JsonObject Resources(string cpuRequest, string memoryRequest, string memoryLimit) => new()
    {
        ["cpu"] = new JsonObject { ["request"] = cpuRequest },
        ["memory"] = new JsonObject { ["request"] = memoryRequest, ["limit"] = memoryLimit },
    };
}
