using System.Collections.Immutable;
using Infra.Mesh.Planning;
using Pulumi;

namespace Infra.Tests;

/// <summary>
/// Pulumi must not fight Flagger: Flagger scales its target Deployment to zero between rollouts, so the program tells
/// Pulumi to leave <c>spec.replicas</c> of exactly those objects alone, through a transform on the stage's ConfigGroup.
/// </summary>
[Collection(PulumiRuns.Name)]
public class ProgressiveDeliveryTests
{
    private const string DeploymentType = "kubernetes:apps/v1:Deployment";

    [Theory]
    [InlineData("dev-progressive")]
    [InlineData("dev-linkerd-progressive")]
    public async Task Progressive_target_deployments_of_the_workloads_group_ignore_replicas_and_nothing_else_does(string stack)
    {
        var run = await PulumiHarness.RunAsync(stack);
        var meshStack = run.Resources.OfType<MeshStack>().Single();
        var workloads = meshStack.Created.Single(c => c.ItemId == "stage/workloads");
        var transforms = workloads.Options.ResourceTransforms;
        Assert.NotEmpty(transforms);

        var planned = meshStack.Plan.Stage(StageKind.Workloads).Items.OfType<ManifestItem>().ToList();
        var progressive = meshStack.Plan.Settings.Services.Where(meshStack.Plan.Settings.IsProgressive).Select(s => (s.Namespace, s.Name)).ToHashSet();
        Assert.NotEmpty(progressive);
        foreach (var item in planned)
        {
            // What the provider hands the transform for each child: its type token and its object's properties.
            var options = await TransformedOptions(transforms, PlanResources.TypeToken(item.Object.ApiVersion, item.Kind), item.Namespace, item.Name);
            var expected = item.Kind == "Deployment" && progressive.Contains((item.Namespace!, item.Name)) ? ["spec.replicas"] : Array.Empty<string>();
            Assert.Equal(expected, options?.IgnoreChanges ?? []);
        }
    }

    [Fact]
    public async Task A_static_stack_registers_its_groups_without_transforms()
    {
        var run = await PulumiHarness.RunAsync("dev");
        var meshStack = run.Resources.OfType<MeshStack>().Single();

        Assert.All(meshStack.Created.Where(c => c.ItemId.StartsWith("stage/", StringComparison.Ordinal)), c => Assert.Empty(c.Options.ResourceTransforms));
    }

    [Fact]
    public async Task A_deployment_of_the_same_name_in_another_namespace_or_another_kind_of_the_same_name_is_left_alone()
    {
        var run = await PulumiHarness.RunAsync("dev-progressive");
        var transforms = run.Resources.OfType<MeshStack>().Single().Created.Single(c => c.ItemId == "stage/workloads").Options.ResourceTransforms;

        Assert.NotNull(await TransformedOptions(transforms, DeploymentType, "shop", "orders"));
        Assert.Null(await TransformedOptions(transforms, DeploymentType, "elsewhere", "orders"));
        Assert.Null(await TransformedOptions(transforms, "kubernetes:core/v1:ConfigMap", "shop", "orders"));
        Assert.Null(await TransformedOptions(transforms, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "shop", "orders"));
    }

    /// <summary>Runs every transform as the engine would for a child resource; null when none changed it.</summary>
    private static async Task<CustomResourceOptions?> TransformedOptions(IEnumerable<ResourceTransform> transforms, string type, string? ns, string name)
    {
        var metadata = ImmutableDictionary<string, object?>.Empty.Add("name", name);
        if (ns is not null)
        {
            metadata = metadata.Add("namespace", ns);
        }

        var args = ImmutableDictionary<string, object?>.Empty.Add("metadata", metadata);
        CustomResourceOptions? result = null;
        foreach (var transform in transforms)
        {
            var transformed = await transform(new ResourceTransformArgs($"{ns}/{name}", type, true, args, new CustomResourceOptions()));
            if (transformed is { } t)
            {
                result = Assert.IsType<CustomResourceOptions>(t.Options);
            }
        }

        return result;
    }
}
