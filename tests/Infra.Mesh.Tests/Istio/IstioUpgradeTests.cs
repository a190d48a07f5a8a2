using Infra.Mesh.Istio;
using Infra.Mesh.Planning;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

/// <summary>The revision-based control-plane upgrade of docs/istio.md, one stack-config edit per step, on prod.</summary>
public class IstioUpgradeTests
{
    internal const string AddRevision = """
          infra:istio:
            version: 1.31.0
            revisions:
              - name: 1-30-3
                version: 1.30.3
              - name: 1-31-0
            tagRevision: 1-30-3

        """;

    private static readonly string MoveTag = AddRevision.Replace("tagRevision: 1-30-3", "tagRevision: 1-31-0", StringComparison.Ordinal);

    private const string RemoveOldRevision = """
          infra:istio:
            version: 1.31.0
            revisions:
              - name: 1-31-0

        """;

    [Fact]
    public void Before_the_upgrade_one_revision_serves_the_tag_that_namespaces_select()
    {
        var plan = Stacks.Plan("prod");
        Assert.Equal(["istiod-1-30-3"], Istiods(plan).Select(r => r.ReleaseName));
        Assert.Equal(["stable"], plan.Release("istiod-1-30-3").Values["revisionTags"].Strings());
        Assert.All(Stacks.Objects(plan).OfKind("Namespace"), ns => Assert.Equal("stable", (string)ns["metadata"]!["labels"]![IstioInjection.RevisionLabel]!));
        Assert.All(ProxyRevisions(plan), r => Assert.Equal("1-30-3", r));
    }

    [Fact]
    public void Step_1_adding_a_revision_installs_it_beside_the_old_one_and_restarts_nothing()
    {
        var plan = IstioStacks.Plan("prod", AddRevision);

        Assert.Equal(["1.30.3", "1.31.0"], Istiods(plan).Select(r => r.Version).Order());
        Assert.Equal(["stable"], plan.Release("istiod-1-30-3").Values["revisionTags"].Strings());
        Assert.Empty(plan.Release("istiod-1-31-0").Values["revisionTags"].Strings());
        // CRDs, CNI and the gateway chart move to the new version first; CRDs are backwards compatible.
        Assert.All(plan.Releases.Where(r => r.Chart is "base" or "cni" or "gateway"), r => Assert.Equal("1.31.0", r.Version));
        Assert.Equal("1-30-3", (string)plan.Release(IstioControlPlanePlanner.BaseRelease).Values["defaultRevision"]!);
        Assert.Equal("1-30-3", (string)plan.Release(IstioNames.IngressGatewayRelease).Values["revision"]!);
        Assert.Equal(ProxyRevisions(Stacks.Plan("prod")), ProxyRevisions(plan));
    }

    [Fact]
    public void Step_2_moving_the_tag_keeps_namespace_labels_and_rolls_every_injected_workload()
    {
        var before = IstioStacks.Plan("prod", AddRevision);
        var plan = IstioStacks.Plan("prod", MoveTag);

        Assert.Equal(["istiod-1-30-3", "istiod-1-31-0"], Istiods(plan).Select(r => r.ReleaseName));
        Assert.Empty(plan.Release("istiod-1-30-3").Values["revisionTags"].Strings());
        Assert.Equal(["stable"], plan.Release("istiod-1-31-0").Values["revisionTags"].Strings());
        Assert.Equal(
            Stacks.Objects(before).OfKind("Namespace").Select(n => n.ToJsonString()),
            Stacks.Objects(plan).OfKind("Namespace").Select(n => n.ToJsonString()));
        // A changed pod template is a rolling restart: new pods are injected by the revision the tag now names.
        Assert.All(ProxyRevisions(plan), r => Assert.Equal("1-31-0", r));
        Assert.Equal("1-31-0", (string)plan.Release(IstioNames.IngressGatewayRelease).Values["revision"]!);
        Assert.Equal("1-31-0", (string)plan.Release(IstioControlPlanePlanner.BaseRelease).Values["defaultRevision"]!);
    }

    [Theory]
    [InlineData("1-30-3", "1-31-0")]
    [InlineData("1-31-0", "1-30-3")]
    public void The_release_taking_the_tag_is_upgraded_after_the_release_giving_it_up(string tagged, string other)
    {
        // Helm refuses to create the tag's webhook and Service while another release still owns them.
        var plan = IstioStacks.Plan("prod", AddRevision.Replace("tagRevision: 1-30-3", $"tagRevision: {tagged}", StringComparison.Ordinal));
        var taking = plan.Release($"istiod-{tagged}");
        var givingUp = plan.Release($"istiod-{other}");

        Assert.Equal(["stable"], taking.Values["revisionTags"].Strings());
        Assert.Contains(givingUp.Id, taking.DependsOn);
        Assert.DoesNotContain(taking.Id, givingUp.DependsOn);
    }

    [Fact]
    public void Step_3_removing_the_old_revision_leaves_the_new_one_serving_the_tag()
    {
        var plan = IstioStacks.Plan("prod", RemoveOldRevision);
        Assert.Equal(["istiod-1-31-0"], Istiods(plan).Select(r => r.ReleaseName));
        Assert.Equal(["stable"], plan.Release("istiod-1-31-0").Values["revisionTags"].Strings());
        Assert.All(ProxyRevisions(plan), r => Assert.Equal("1-31-0", r));
    }

    [Fact]
    public void Removing_the_revision_the_tag_still_names_is_rejected()
    {
        var errors = IstioStacks.Errors("prod", RemoveOldRevision.Replace("    revisions:", "    tagRevision: 1-30-3\n    revisions:", StringComparison.Ordinal));
        var error = Assert.Single(errors);
        Assert.Equal("infra:istio.tagRevision", error.Key);
        Assert.Contains("allowed: 1-31-0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_control_plane_newer_than_the_crds_is_rejected()
    {
        var errors = IstioStacks.Errors("prod", AddRevision.Replace("version: 1.31.0", "version: 1.30.3", StringComparison.Ordinal)
            .Replace("- name: 1-31-0", "- name: 1-31-0\n        version: 1.31.0", StringComparison.Ordinal));
        var error = Assert.Single(errors);
        Assert.Equal("infra:istio.revisions[1-31-0].version", error.Key);
        Assert.Contains("newer than infra:istio.version", error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<HelmReleaseItem> Istiods(MeshPlan plan) => plan.Releases.Where(r => r.Chart == "istiod");

    /// <summary>The revision named on each injected pod template (the restart trigger).</summary>
    private static List<string> ProxyRevisions(MeshPlan plan) =>
    [
        .. Stacks.Objects(plan).OfKind("Deployment")
            .Select(d => (string?)d["spec"]!["template"]!["metadata"]!["annotations"]![IstioInjection.ProxyRevisionAnnotation])
            .OfType<string>(),
    ];
}
