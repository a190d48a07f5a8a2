using System.Collections.Immutable;
using Infra.Mesh.Planning;
using Pulumi;
using Infra.Testing.Support;
using Moq;
using Pulumi.Testing;
using Pulumi.Utilities;

namespace Infra.Tests;

/// <summary>The Pulumi program run in-process under mocks with the fixture's dev, prod and dev-linkerd stack config.</summary>
[Collection(PulumiRuns.Name)]
public class MeshStackTests
{
    private const string ReleaseType = "kubernetes:helm.sh/v3:Release";
    private const string ConfigGroupType = "kubernetes:yaml/v2:ConfigGroup";

    [Fact]
    public async Task Dev_registers_the_explicit_provider_for_the_stack_context()
    {
        var run = await PulumiHarness.RunAsync("dev");

        var provider = Assert.Single(run.OfType("pulumi:providers:kubernetes"));
        Assert.Equal("kind-infra-dev", provider.Inputs["context"]);
        Assert.All(run.OfType(ReleaseType), r => Assert.Contains("pulumi:providers:kubernetes::kubernetes::", r.Provider, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_provider_updates_config_maps_and_secrets_in_place_instead_of_replacing_them()
    {
        var run = await PulumiHarness.RunAsync("dev");

        var provider = Assert.Single(run.OfType("pulumi:providers:kubernetes"));
        // Provider inputs travel as JSON text (the SDK's `json: true` inputs).
        Assert.Equal("true", provider.Inputs["enableConfigMapMutable"]);
        Assert.Equal("true", provider.Inputs["enableSecretMutable"]);
    }

    [Fact]
    public async Task Every_helm_release_is_deleted_before_it_is_replaced()
    {
        foreach (var stackName in new[] { "dev", "dev-linkerd" })
        {
            var stack = (await PulumiHarness.RunAsync(stackName)).Resources.OfType<MeshStack>().Single();

            var releases = stack.Created.Where(c => c.Resource is Pulumi.Kubernetes.Helm.V3.Release).ToList();
            Assert.NotEmpty(releases);
            Assert.All(releases, r => Assert.True(((CustomResourceOptions)r.Options).DeleteBeforeReplace, r.ItemId));
        }
    }

    [Fact]
    public async Task Keep_children_sets_protect_and_retain_on_every_object_a_manifest_file_registers()
    {
        var transform = PlanResources.KeepChildren(protect: true, retainOnDelete: true);

        var result = await transform(new ResourceTransformArgs(
            "gateway-api-standard:httproutes.gateway.networking.k8s.io", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", true,
            ImmutableDictionary<string, object?>.Empty, new CustomResourceOptions()));

        Assert.True(result!.Value.Options.Protect);
        Assert.True(result.Value.Options.RetainOnDelete);
    }

    [Fact]
    public async Task Istio_releases_register_in_order_crds_control_plane_then_namespaces_policies_and_workloads()
    {
        var run = await PulumiHarness.RunAsync("dev");

        Assert.True(run.Waited("istiod-1-30-3", "istio-base"), "istiod waits for the base (CRD) release");
        Assert.True(run.Waited("istio-ingressgateway", "istiod-1-30-3"), "the ingress gateway waits for istiod, which injects it");
        Assert.True(run.Waited("namespaces", "istiod-1-30-3"), "application namespaces wait for istiod, so pods get sidecars on first creation");
        Assert.True(run.Waited("namespaces", "istio-ingressgateway"), "then the gateways and addons");
        Assert.True(run.Waited("policies", "namespaces"), "policies are in place before any pod starts");
        Assert.True(run.Waited("workloads", "policies"), "workloads come last");
    }

    [Fact]
    public async Task Ambient_releases_register_in_istios_order_base_istiod_cni_ztunnel_with_the_gateway_api_crds_first()
    {
        var run = await PulumiHarness.RunAsync("dev-ambient");

        Assert.True(run.Waited("istiod-1-30-3", "istio-base"), "istiod waits for the base (CRD) release");
        Assert.True(run.Waited("istiod-1-30-3", "gateway-api-standard"), "istiod watches Gateway API kinds only when their CRDs exist");
        Assert.True(run.Waited("istio-cni", "istiod-1-30-3"), "the CNI node agent comes after istiod");
        Assert.True(run.Waited("ztunnel", "istio-cni"), "ztunnel comes last, once pods can be redirected to it");
        Assert.True(run.Waited("namespaces", "ztunnel"), "namespaces are enrolled only once ztunnel runs");
    }

    [Fact]
    public async Task Helm_releases_carry_chart_repository_pinned_version_namespace_and_structured_values()
    {
        var run = await PulumiHarness.RunAsync("dev");
        var plan = Infra.Mesh.Planner.MeshPlanner.Plan(Infra.Mesh.Settings.StackSettingsLoader.Load(
            Infra.Mesh.Settings.ProjectConfigFiles.Load(Stacks.ProjectDirectory, "dev")));

        foreach (var release in plan.Releases)
        {
            var registered = Assert.Single(run.OfType(ReleaseType), r => r.Name == release.ReleaseName);
            Assert.Equal(release.Chart, registered.Inputs["chart"]);
            Assert.Equal(release.Version, registered.Inputs["version"]);
            Assert.Equal(release.Namespace, registered.Inputs["namespace"]);
            Assert.Equal(release.Repository, ((ImmutableDictionary<string, object>)registered.Inputs["repositoryOpts"])["repo"]);
            Assert.Equal(true, registered.Inputs["atomic"]);
            var values = Assert.IsType<ImmutableDictionary<string, object>>(registered.Inputs["values"], exactMatch: false);
            var planned = Infra.Mesh.Planning.ObjectJson.Values(release, source => System.Text.Json.Nodes.JsonValue.Create(source.Placeholder));
            Assert.Equal(planned.Select(v => v.Key).Order(), values.Keys.Order());
        }
    }

    [Fact]
    public async Task Each_stage_depends_on_everything_of_the_stage_before_it()
    {
        var run = await PulumiHarness.RunAsync("prod");
        var stack = run.Resources.OfType<MeshStack>().Single();

        var istiod = stack.Created.Single(c => c.ItemId == "helm/istio-system/istiod-1-30-3");
        var istioBase = stack.Created.Single(c => c.ItemId == "helm/istio-system/istio-base");
        var namespaces = stack.Created.Single(c => c.ItemId == "stage/namespaces");
        Assert.Contains(istioBase.Resource, istiod.DependsOn);
        Assert.True(DependsTransitively(namespaces, istiod.Resource, stack.Created), "namespaces wait for istiod");

        // Every resource of a stage depends on every resource of the non-empty stage before it.
        var stages = stack.Created.GroupBy(c => StageOf(c, stack)).ToList();
        Assert.True(stages.Count >= 5);
        for (var i = 1; i < stages.Count; i++)
        {
            foreach (var created in stages[i])
            {
                Assert.All(stages[i - 1], previous => Assert.Contains(previous.Resource, created.DependsOn));
            }
        }
    }

    [Fact]
    public async Task Prod_protects_the_crd_release_and_retains_it_on_destroy_dev_does_not()
    {
        var prod = (await PulumiHarness.RunAsync("prod")).Resources.OfType<MeshStack>().Single();
        var dev = (await PulumiHarness.RunAsync("dev")).Resources.OfType<MeshStack>().Single();

        var prodCrds = prod.Created.Single(c => c.ItemId == "helm/istio-system/istio-base");
        Assert.True(prodCrds.Options.Protect);
        Assert.True(prodCrds.Options.RetainOnDelete);
        var devCrds = dev.Created.Single(c => c.ItemId == "helm/istio-system/istio-base");
        Assert.False(devCrds.Options.Protect ?? false);
    }

    [Fact]
    public async Task Prod_on_linkerd_protects_and_retains_the_crd_release_and_the_gateway_api_crd_file()
    {
        var stack = (await PulumiHarness.RunAsync("prod-linkerd")).Resources.OfType<MeshStack>().Single();

        var crdSources = stack.Created.Where(c => c.Resource is Pulumi.Kubernetes.Yaml.V2.ConfigFile
            || (c.Resource is Pulumi.Kubernetes.Helm.V3.Release && c.ItemId.EndsWith("/linkerd-crds", StringComparison.Ordinal))).ToList();
        Assert.Equal(2, crdSources.Count);
        Assert.All(crdSources, c => Assert.True(c.Options.Protect == true && c.Options.RetainOnDelete == true, c.ItemId));
        // The ConfigFile is a remote component: engines since v3.158.0 hand its protect and retainOnDelete down to the
        // CRDs it creates (children inherit both from their parent), and they use the provider it was given...
        var file = (ComponentResourceOptions)crdSources.Single(c => c.Resource is Pulumi.Kubernetes.Yaml.V2.ConfigFile).Options;
        Assert.Single(file.Providers);
        // ...and, for engines before v3.158.0 that do not, a transform sets both on each CRD itself.
        Assert.Single(file.ResourceTransforms);
    }

    [Fact]
    public async Task Stage_objects_go_through_one_config_group_per_stage_with_the_planned_objects()
    {
        var run = await PulumiHarness.RunAsync("dev");

        var workloads = Assert.Single(run.OfType(ConfigGroupType), r => r.Name == "workloads");
        var objs = Assert.IsAssignableFrom<IEnumerable<object>>(workloads.Inputs["objs"]).Cast<ImmutableDictionary<string, object>>().ToList();
        Assert.Contains(objs, o => (string)o["kind"] == "Deployment" && (string)((ImmutableDictionary<string, object>)o["metadata"])["name"] == "orders-canary");
        Assert.DoesNotContain(objs, o => (string)o["kind"] == "Secret");
    }

    [Fact]
    public async Task Service_secrets_come_from_secret_config_and_never_reach_plain_objects()
    {
        var run = await PulumiHarness.RunAsync("dev");

        var secret = Assert.Single(run.OfType("kubernetes:core/v1:Secret"), r => r.Name == "shop-orders-secrets");
        Assert.Equal(PulumiHarness.FakeSecret("ordersDbPassword"), ((ImmutableDictionary<string, object>)secret.Inputs["stringData"])["DB_PASSWORD"]);
        foreach (var group in run.OfType(ConfigGroupType))
        {
            Assert.DoesNotContain(PulumiHarness.FakeSecret("ordersDbPassword"), Flatten(group.Inputs));
        }
    }

    [Fact]
    public async Task A_key_set_without_path_and_a_plain_text_secret_fail_the_run_as_the_offline_validator_does()
    {
        using var files = new StackFiles();
        // `pulumi config set infra:observability.traceSampling 5` without --path sets a flat key the settings never read.
        files.Replace("Pulumi.dev.yaml", "  infra:observability:", "  infra:observability.traceSampling: 5\n  infra:observability:");
        files.Replace("Pulumi.dev.yaml", "  infra:observability:", "  infra:ordersDbPassword: hunter2\n  infra:observability:");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PulumiHarness.RunAsync("dev", files.Directory));

        Assert.Contains("unknown key 'observability.traceSampling'", error.Message, StringComparison.Ordinal);
        Assert.Contains("infra:ordersDbPassword is set as plain text", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_secrets_stop_the_run_with_the_command_for_each()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => PulumiHarness.RunAsync("prod", secretsSet: false));

        Assert.Contains("Stack 'prod' needs 2 secret(s) that are not set", error.Message, StringComparison.Ordinal);
        Assert.Contains("pulumi config set --secret infra:ordersDbPassword -s prod", error.Message, StringComparison.Ordinal);
        Assert.Contains("pulumi config set --secret infra:paymentsStripeKey -s prod", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stack_outputs_name_the_mesh_namespaces_services_and_plan()
    {
        var run = await PulumiHarness.RunAsync("prod");
        var stack = run.Resources.OfType<MeshStack>().Single();

        Assert.Equal("istio", await OutputUtilities.GetValueAsync(stack.Mesh));
        Assert.Equal("prod", await OutputUtilities.GetValueAsync(stack.Environment));
        Assert.Equal(["storefront", "shop", "payments"], (await OutputUtilities.GetValueAsync(stack.Namespaces)).AsEnumerable());
        Assert.Contains("orders", await OutputUtilities.GetValueAsync(stack.Services));
        Assert.Contains("control-plane", (await OutputUtilities.GetValueAsync(stack.PlanSummary)).Keys);
    }

    [Fact]
    public async Task Linkerd_identity_is_generated_with_pulumi_tls_and_the_trust_anchor_is_protected()
    {
        var run = await PulumiHarness.RunAsync("dev-linkerd");
        var stack = run.Resources.OfType<MeshStack>().Single();

        Assert.Single(run.OfType("tls:index/selfSignedCert:SelfSignedCert"));
        Assert.Single(run.OfType("tls:index/locallySignedCert:LocallySignedCert"));
        var anchorCert = run.Resources.OfType<Pulumi.Tls.SelfSignedCert>().Single();
        Assert.True(await OutputUtilities.GetValueAsync(anchorCert.IsCaCertificate));

        // The anchor's key and certificate are protected; the issuer is not, or its early renewal (a replacement) would fail.
        var anchor = stack.GeneratedSecrets.Where(c => c.ItemId == Infra.Mesh.Linkerd.LinkerdControlPlanePlanner.TrustAnchorSlot).ToList();
        Assert.Equal(2, anchor.Count);
        Assert.Contains(anchor, c => c.Resource is Pulumi.Tls.PrivateKey);
        Assert.Contains(anchor, c => c.Resource == anchorCert);
        Assert.All(anchor, c => Assert.True(c.Options.Protect));
        var issuer = stack.GeneratedSecrets.Where(c => c.ItemId == Infra.Mesh.Linkerd.LinkerdControlPlanePlanner.IssuerSlot).ToList();
        Assert.Contains(issuer, c => c.Resource is Pulumi.Tls.LocallySignedCert);
        Assert.All(issuer, c => Assert.False(c.Options.Protect ?? false));

        var controlPlane = Assert.Single(run.OfType(ReleaseType), r => r.Name == "linkerd-control-plane");
        var values = (ImmutableDictionary<string, object>)controlPlane.Inputs["values"];
        Assert.Equal(PulumiHarness.FakeCertificate, values["identityTrustAnchorsPEM"]);
        Assert.True(run.Waited("linkerd-control-plane", "linkerd-crds"));
    }

    [Fact]
    public async Task Generated_and_config_secrets_are_pulumi_secrets_and_so_are_helm_values_holding_them()
    {
        var plan = Infra.Mesh.Planner.MeshPlanner.Plan(Infra.Mesh.Settings.StackSettingsLoader.Load(
            Infra.Mesh.Settings.ProjectConfigFiles.Load(Stacks.ProjectDirectory, "dev-linkerd")));
        var secrecy = new Dictionary<string, bool>();
        var mocks = new Mock<IMocks>();
        mocks.Setup(m => m.NewResourceAsync(It.IsAny<MockResourceArgs>()))
            .ReturnsAsync((MockResourceArgs args) => ($"{args.Name}-id", (object)args.Inputs));

        using (StackConfig.Apply("dev-linkerd", Stacks.ProjectDirectory))
        {
            await Deployment.TestAsync(mocks.Object, new TestOptions { ProjectName = "infra", StackName = "dev-linkerd" }, async () =>
            {
                var config = new Config("infra");
                var provider = new Pulumi.Kubernetes.Provider("k8s", new Pulumi.Kubernetes.ProviderArgs());
                var slots = new SecretSlots(plan.Secrets, config);
                var resources = new PlanResources(plan, provider, slots);
                secrecy["issuer key"] = await Output.IsSecretAsync(slots.Resolve(new GeneratedSecret("linkerd-identity-issuer", SlotOutput.PrivateKeyPem)));
                secrecy["config secret"] = await Output.IsSecretAsync(slots.Resolve(new ConfigSecret("ordersDbPassword")));
                var controlPlane = plan.Releases.Single(r => r.Chart == "linkerd-control-plane");
                secrecy["control-plane values"] = await Output.IsSecretAsync(resources.Values(controlPlane));
                var crds = plan.Releases.Single(r => r.Chart == "linkerd-crds");
                secrecy["crds values (no secrets)"] = !await Output.IsSecretAsync(resources.Values(crds));
            });
        }

        Assert.All(secrecy, s => Assert.True(s.Value, s.Key));
        Assert.Equal(4, secrecy.Count);
    }

    [Fact]
    public async Task Gateway_api_crds_are_applied_from_the_pinned_release_file_before_the_linkerd_control_plane()
    {
        var run = await PulumiHarness.RunAsync("dev-linkerd");
        var stack = run.Resources.OfType<MeshStack>().Single();

        var file = Assert.Single(run.OfType("kubernetes:yaml/v2:ConfigFile"));
        Assert.Equal("https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml", file.Inputs["file"]);
        var crds = stack.Created.Single(c => c.ItemId.StartsWith("ManifestFile/", StringComparison.Ordinal));
        var controlPlane = stack.Created.Single(c => c.ItemId.EndsWith("/linkerd-control-plane", StringComparison.Ordinal));
        Assert.True(DependsTransitively(controlPlane, crds.Resource, stack.Created));
    }

    [Fact]
    public async Task A_release_waits_for_the_secret_it_needs_even_within_its_own_stage()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "issuer: pulumi", "issuer: cert-manager");
        var run = await PulumiHarness.RunAsync("dev-linkerd", files.Directory);
        var stack = run.Resources.OfType<MeshStack>().Single();

        var anchor = stack.Created.Single(c => c.ItemId == "Secret/linkerd/linkerd-trust-anchor");
        var controlPlane = stack.Created.Single(c => c.ItemId.EndsWith("/linkerd-control-plane", StringComparison.Ordinal));
        Assert.Contains(anchor.Resource, controlPlane.DependsOn);
        Assert.True(stack.Created.ToList().IndexOf(anchor) < stack.Created.ToList().IndexOf(controlPlane));
        Assert.True(run.Waited("linkerd-control-plane", "linkerd-linkerd-trust-anchor"));
    }

    private static bool DependsTransitively(CreatedResource from, Resource target, IReadOnlyList<CreatedResource> all) =>
        from.DependsOn.Contains(target)
        || from.DependsOn.Any(d => all.FirstOrDefault(c => c.Resource == d) is { } next && DependsTransitively(next, target, all));

    private static string StageOf(CreatedResource created, MeshStack stack) =>
        stack.Plan.Stages.First(s => s.Items.Any(i => i.Id == created.ItemId) || $"stage/{s.Name}" == created.ItemId).Name;

    private static IEnumerable<string> Flatten(object value) => value switch
    {
        string s => [s],
        IEnumerable<KeyValuePair<string, object>> map => map.SelectMany(kv => Flatten(kv.Value)),
        IEnumerable<object> list => list.SelectMany(Flatten),
        _ => [],
    };
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PulumiRuns
{
    /// <summary>Pulumi reads its config from process environment variables: one run at a time.</summary>
    public const string Name = "pulumi";
}
