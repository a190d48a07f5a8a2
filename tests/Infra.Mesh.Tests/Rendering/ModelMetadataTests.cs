using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Testing.Support;
using k8s;

namespace Infra.Mesh.Tests.Rendering;

/// <summary><see cref="ModelMetadata.WithApiVersionAndKind{T}"/> gives every built-in object what KubernetesClient's <c>Initialize()</c> gives it.</summary>
public class ModelMetadataTests
{
    public static TheoryData<string, string> Everywhere => Stacks.Everywhere;

    [Theory]
    [MemberData(nameof(Everywhere))]
    public void Every_built_in_object_has_the_api_version_and_kind_KubernetesClient_gives_its_type(string project, string stack)
    {
        var builtIn = MeshPlanner.Plan(Stacks.Settings(project, stack)).Stages.SelectMany(s => s.Items).OfType<ManifestItem>()
            .Select(m => m.Object).Where(o => o is not ISourceGeneratedJson).ToList();

        Assert.NotEmpty(builtIn);
        foreach (var obj in builtIn)
        {
            var fresh = (IKubernetesObject)Activator.CreateInstance(obj.GetType())!;
            typeof(Extensions).GetMethod(nameof(Extensions.Initialize))!.MakeGenericMethod(obj.GetType()).Invoke(null, [fresh]);

            Assert.Equal((fresh.ApiVersion, fresh.Kind), (obj.ApiVersion, obj.Kind));
        }
    }
}
