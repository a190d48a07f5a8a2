using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Rendering;

/// <summary>
/// The render's fast path (each object serialized once to a read-only element from source-generated metadata, YAML
/// written from elements) against the reference path (KubernetesClient's options with reflection,
/// <see cref="ReflectionJson"/>, parsed to nodes, YAML through YamlDotNet's emitter): the same JSON and the same YAML
/// for every object of every stack.
/// </summary>
public class ObjectJsonTests
{
    public static TheoryData<string, string> Everywhere => Stacks.Everywhere;

    [Theory]
    [MemberData(nameof(Everywhere))]
    public void Every_object_serializes_exactly_as_KubernetesClient_serializes_it_by_reflection(string project, string stack)
    {
        var plan = MeshPlanner.Plan(Stacks.Settings(project, stack));
        var manifests = plan.Stages.SelectMany(s => s.Items).OfType<ManifestItem>().ToList();

        Assert.NotEmpty(manifests);
        foreach (var manifest in manifests)
        {
            var reference = ReflectionJson.Serialize(manifest.Object);
            Assert.Equal(reference, ObjectJson.Element(manifest.Object).GetRawText());
            Assert.Equal(reference, ObjectJson.Of(manifest.Object).ToJsonString());
            // Serialized once during planning (the verification fingerprint) and kept: no planner changed it later.
            Assert.Equal(reference, manifest.Json.GetRawText());
        }
    }

    [Theory]
    [MemberData(nameof(Everywhere))]
    public void Every_stage_renders_from_elements_as_the_emitter_writes_its_nodes(string project, string stack)
    {
        var plan = MeshPlanner.Plan(Stacks.Settings(project, stack));
        foreach (var stage in plan.Stages.Where(s => !s.Items.IsEmpty))
        {
            var reference = stage.Items.Select(item => item switch
            {
                ManifestItem m => JsonNode.Parse(ReflectionJson.Serialize(m.Object)),
                SecretItem s => ObjectJson.Of(s, source => source.Placeholder),
                _ => null,
            }).OfType<JsonNode>().ToList();

            Assert.Equal(YamlText.Emitted(reference), YamlText.WriteAll([.. PlanRenderer.Documents(stage)]).ToString());
        }
    }

    [Theory]
    [InlineData(MeshKind.Istio)]
    [InlineData(MeshKind.Linkerd)]
    public void A_synthetic_catalog_renders_from_elements_as_the_emitter_writes_its_nodes(MeshKind mesh)
    {
        var plan = MeshPlanner.Plan(StackSettingsLoader.Load(SyntheticCatalog.Create(60, mesh)));
        foreach (var stage in plan.Stages.Where(s => s.Items.OfType<ManifestItem>().Any()))
        {
            var reference = stage.Items.OfType<ManifestItem>().Select(m => JsonNode.Parse(ReflectionJson.Serialize(m.Object))).ToList();
            ReadOnlyMemory<byte>[] documents = [.. stage.Items.OfType<ManifestItem>().Select(m => ObjectJson.Utf8(m.Object))];

            Assert.Equal(YamlText.Emitted(reference), YamlText.WriteAll(documents).ToString());
        }
    }

    [Fact]
    public void A_tree_and_JSON_null_become_UTF8_of_the_same_JSON()
    {
        var tree = new JsonObject { ["a"] = new JsonArray(1, "é\n", null, true), ["b"] = new JsonObject() };

        Assert.Equal(tree.ToJsonString(), System.Text.Encoding.UTF8.GetString(ObjectJson.Utf8(tree)));
        Assert.Equal("null", System.Text.Encoding.UTF8.GetString(ObjectJson.Utf8((JsonNode?)null)));
    }
}
