using System.Text.Json.Nodes;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Planning;
using Infra.Testing.Support;
using Infra.Testing;

namespace Infra.Mesh.Tests.Linkerd;

public class LinkerdControlPlaneTests
{
    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Every_object_fits_its_reference_schema_and_every_value_is_a_key_of_its_chart(string variant)
    {
        var plan = LinkerdStacks.Plan(variant);
        var crds = new[] { CrdSchemaCatalog.Linkerd(), CrdSchemaCatalog.GatewayApi() };
        var errors = new List<string>();
        foreach (var obj in Stacks.Objects(plan))
        {
            var (apiVersion, kind) = ((string)obj["apiVersion"]!, (string)obj["kind"]!);
            if (BuiltinObjectValidator.Knows(apiVersion, kind))
            {
                errors.AddRange(BuiltinObjectValidator.Validate(obj));
            }
            else if (crds.FirstOrDefault(c => c.Knows(apiVersion, kind)) is { } catalog)
            {
                errors.AddRange(catalog.Validate(obj));
            }
            else if (!apiVersion.StartsWith("cert-manager.io/", StringComparison.Ordinal))
            {
                errors.Add($"{apiVersion} {kind}: no reference schema");
            }
        }

        foreach (var release in plan.Releases.Where(r => r.Chart is "linkerd-crds" or "linkerd-control-plane" or "linkerd-viz"))
        {
            var values = ObjectJson.Values(release, source => JsonValue.Create(source.Placeholder));
            errors.AddRange(LinkerdStacks.ChartValues(release.Chart).UnknownKeys(values).Select(k => $"{release.ReleaseName}: {k}"));
        }

        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Installs_in_order_gateway_api_and_namespaces_then_crds_cni_control_plane_then_viz(string variant)
    {
        var plan = LinkerdStacks.Plan(variant);
        var gatewayApi = Assert.Single(plan.Stage(StageKind.Crds).Items.OfType<ManifestFileItem>());
        Assert.Equal("https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml", gatewayApi.Url);

        var crds = plan.Release("linkerd-crds");
        var cni = plan.Release("linkerd2-cni");
        var controlPlane = plan.Release("linkerd-control-plane");
        var viz = plan.Release("linkerd-viz");
        Assert.Equal([crds, cni, controlPlane], plan.Stage(StageKind.ControlPlane).Items.OfType<HelmReleaseItem>());
        Assert.Contains(viz, plan.Stage(StageKind.GatewaysAndAddons).Items);
        Assert.Superset(new HashSet<string> { crds.Id, cni.Id, gatewayApi.Id }, controlPlane.DependsOn.ToHashSet());
        Assert.Contains(controlPlane.Id, viz.DependsOn);

        // Helm creates no namespace: each is a planned object of the first stage, labelled as `linkerd install` does.
        var namespaces = plan.Stage(StageKind.Crds).Items.OfType<ManifestItem>().Where(m => m.Kind == "Namespace").Select(m => m.Name).ToHashSet();
        Assert.All(plan.Releases, r => Assert.False(r.CreateNamespace));
        Assert.All(plan.Releases, r => Assert.Contains(r.Namespace, namespaces));
        Assert.All(plan.Releases, r => Assert.Equal(ReferenceData.LinkerdChartVersion, r.Version));
    }

    [Fact]
    public void Identity_certificates_are_slots_wired_into_the_control_plane_values_never_values()
    {
        var plan = LinkerdStacks.Plan(LinkerdStacks.Dev);
        var identity = plan.Settings.Linkerd.Identity;
        var anchor = Assert.Single(plan.Secrets.OfType<CertificateAuthoritySlot>());
        var issuer = Assert.Single(plan.Secrets.OfType<IntermediateCertificateSlot>());
        Assert.True(anchor.Protect);
        Assert.Equal(identity.TrustAnchorValidityHours, anchor.ValidityHours);
        Assert.Equal((anchor.Id, identity.IssuerValidityHours, identity.IssuerRenewBeforeHours), (issuer.IssuerSlotId, issuer.ValidityHours, issuer.EarlyRenewalHours));
        // The identity controller only accepts an issuer named after it.
        Assert.Equal("identity.linkerd.cluster.local", issuer.CommonName);

        var controlPlane = plan.Release("linkerd-control-plane");
        Assert.Equal(new Dictionary<string, SecretSource>
        {
            ["identityTrustAnchorsPEM"] = new GeneratedSecret(anchor.Id, SlotOutput.CertificatePem),
            ["identity.issuer.tls.crtPEM"] = new GeneratedSecret(issuer.Id, SlotOutput.CertificatePem),
            ["identity.issuer.tls.keyPEM"] = new GeneratedSecret(issuer.Id, SlotOutput.PrivateKeyPem),
        }, controlPlane.SecretValues.ToDictionary(v => v.Path, v => v.Source));
        Assert.Null(controlPlane.Values["identityTrustAnchorsPEM"]);
        Assert.Null(controlPlane.Values["identity"]);
        // Every chart key those paths name exists (the render puts placeholders there).
        Assert.Empty(HelmChartValues.Linkerd("linkerd-control-plane").UnknownKeys(ObjectJson.Values(controlPlane, s => JsonValue.Create(s.Placeholder))));
    }

    [Fact]
    public void With_cert_manager_the_issuer_is_a_certificate_signed_by_the_trust_anchor_secret()
    {
        var plan = LinkerdStacks.Plan(LinkerdStacks.CertManager);
        var identity = plan.Settings.Linkerd.Identity;
        var anchor = Assert.Single(plan.Secrets);
        Assert.IsType<CertificateAuthoritySlot>(anchor);

        var secret = Assert.Single(plan.Items.OfType<SecretItem>(), s => s.Name == "linkerd-trust-anchor");
        Assert.Equal(("linkerd", "kubernetes.io/tls"), (secret.Namespace, secret.Type));
        Assert.Equal(new Dictionary<string, SecretSource>
        {
            ["tls.crt"] = new GeneratedSecret(anchor.Id, SlotOutput.CertificatePem),
            ["tls.key"] = new GeneratedSecret(anchor.Id, SlotOutput.PrivateKeyPem),
        }, secret.Entries.ToDictionary(e => e.Key, e => e.Source));

        var objects = Stacks.Objects(plan);
        var issuer = objects.Named("Issuer", "linkerd", "linkerd-trust-anchor");
        Assert.Equal("linkerd-trust-anchor", (string?)issuer["spec"]!["ca"]!["secretName"]);
        var certificate = objects.Named("Certificate", "linkerd", "linkerd-identity-issuer")["spec"]!;
        Assert.Equal("linkerd-identity-issuer", (string?)certificate["secretName"]);
        Assert.True((bool)certificate["isCA"]!);
        Assert.Equal(($"{identity.IssuerValidityHours}h", $"{identity.IssuerRenewBeforeHours}h"), ((string?)certificate["duration"], (string?)certificate["renewBefore"]));
        Assert.Equal(("ECDSA", 256), ((string?)certificate["privateKey"]!["algorithm"], (int)certificate["privateKey"]!["size"]!));
        Assert.Equal("linkerd-trust-anchor", (string?)certificate["issuerRef"]!["name"]);

        var controlPlane = plan.Release("linkerd-control-plane");
        Assert.Equal("kubernetes.io/tls", (string?)controlPlane.Values["identity"]!["issuer"]!["scheme"]);
        Assert.Equal("identityTrustAnchorsPEM", Assert.Single(controlPlane.SecretValues).Path);
        Assert.Contains(secret.Id, controlPlane.DependsOn);
    }

    [Fact]
    public void Prod_runs_the_control_plane_and_viz_highly_available()
    {
        var plan = LinkerdStacks.Plan(LinkerdStacks.Prod);
        var values = plan.Release("linkerd-control-plane").Values;
        Assert.Equal(3, (int?)values["controllerReplicas"]);
        Assert.True((bool?)values["enablePodAntiAffinity"]);
        Assert.True((bool?)values["enablePodDisruptionBudget"]);
        Assert.Equal("Fail", (string?)values["webhookFailurePolicy"]);
        var viz = plan.Release("linkerd-viz").Values;
        Assert.True((bool?)viz["enablePodDisruptionBudget"]);
        Assert.Equal(3, (int?)viz["tap"]!["replicas"]);
        Assert.True(plan.Release("linkerd-crds").Protect);

        var dev = LinkerdStacks.Plan(LinkerdStacks.Dev).Release("linkerd-control-plane").Values;
        Assert.Null(dev["controllerReplicas"]);
    }

    [Fact]
    public void Prod_gives_every_control_plane_component_the_requests_and_limits_of_values_ha()
    {
        var values = LinkerdStacks.Plan(LinkerdStacks.Prod).Release("linkerd-control-plane").Values;
        var ha = HelmChartValues.LinkerdHaValues("linkerd-control-plane");
        var declared = HelmChartValues.Linkerd("linkerd-control-plane");

        // Exactly values-ha.yaml's keys that values.yaml lacks, but for the anchor holder and linkerd check's flag.
        var undeclaredInHa = ha.Select(p => p.Key).Where(k => declared.UnknownKeys(new JsonObject { [k] = 0 }).Count > 0)
            .Except(["controllerResources", "highAvailability"]).Order(StringComparer.Ordinal);
        Assert.Equal(undeclaredInHa, LinkerdControlPlanePlanner.UndeclaredComponentResources.Keys.Order(StringComparer.Ordinal));
        foreach (var key in LinkerdControlPlanePlanner.UndeclaredComponentResources.Keys)
        {
            var ours = values[key];
            Assert.NotNull(ours);
            // partials.resources renders a limit only when it is non-empty: values-ha's `cpu.limit: ""` means none.
            Assert.Equal((string?)ha[key]!["cpu"]!["request"], (string?)ours["cpu"]!["request"]);
            Assert.Null(ours["cpu"]!["limit"]);
            Assert.Equal((string?)ha[key]!["memory"]!["request"], (string?)ours["memory"]!["request"]);
            Assert.Equal((string?)ha[key]!["memory"]!["limit"], (string?)ours["memory"]!["limit"]);
        }

        Assert.All(LinkerdControlPlanePlanner.UndeclaredComponentResources.Keys,
            key => Assert.Null(LinkerdStacks.Plan(LinkerdStacks.Dev).Release("linkerd-control-plane").Values[key]));
    }

    [Fact]
    public void Undeclared_chart_keys_pass_only_when_documented_and_set_in_values_ha()
    {
        var chart = LinkerdStacks.ChartValues("linkerd-control-plane");

        Assert.Empty(chart.UnknownKeys(new JsonObject { ["identityResources"] = LinkerdControlPlanePlanner.Resources("1", "1Mi", "2Mi") }));
        Assert.Equal(["identityResourcez"], chart.UnknownKeys(new JsonObject { ["identityResourcez"] = new JsonObject() }));
        Assert.Equal(["identityResources.cpu.requestz"], chart.UnknownKeys(new JsonObject { ["identityResources"] = new JsonObject { ["cpu"] = new JsonObject { ["requestz"] = "1" } } }));
        Assert.Throws<ArgumentException>(() => HelmChartValues.LinkerdWithHaKeys("linkerd-control-plane", ["tapResources"]));
        Assert.Throws<ArgumentException>(() => HelmChartValues.LinkerdWithHaKeys("linkerd-control-plane", ["controllerReplicas"]));
    }

    [Fact]
    public void Grafana_is_linked_from_viz_and_may_query_its_prometheus()
    {
        var plan = LinkerdStacks.Plan(LinkerdStacks.Dev);
        Assert.True(plan.Settings.Observability.Grafana);
        Assert.Equal(LinkerdObservabilityPlanner.GrafanaUrl, (string?)plan.Release("linkerd-viz").Values["grafana"]!["url"]);
        var policy = Stacks.Objects(plan).Named("AuthorizationPolicy", "linkerd-viz", "grafana")["spec"]!;
        Assert.Equal("prometheus-admin", (string?)policy["targetRef"]!["name"]);
        var client = Assert.Single(policy["requiredAuthenticationRefs"].Items());
        Assert.Equal(("ServiceAccount", "grafana", "grafana"), ((string?)client["kind"], (string?)client["name"], (string?)client["namespace"]));
    }
}
