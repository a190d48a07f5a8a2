using System.Reflection;
using Infra.Mesh.Planning;
using Infra.Testing.Support;
using k8s.Models;

namespace Infra.Mesh.Tests.Conformance;

/// <summary>
/// A built-in object's apiVersion and kind come from KubernetesClient's model metadata (its
/// <see cref="KubernetesEntityAttribute"/>, set by <c>k8s.Extensions.Initialize</c>), never typed by hand: a typed
/// <c>V1Deployment</c> with <c>extensions/v1beta1</c> would serialise happily and be refused by the API server.
/// </summary>
public class ObjectTypeTests
{
    [Theory]
    [MemberData(nameof(Stacks.Everywhere), MemberType = typeof(Stacks))]
    public void Every_built_in_object_carries_the_api_version_and_kind_of_its_model(string project, string stack)
    {
        var plan = Planner.MeshPlanner.Plan(Stacks.Settings(project, stack));
        var builtIn = plan.Items.OfType<ManifestItem>()
            .Select(m => (m.Object, Entity: m.Object.GetType().GetCustomAttribute<KubernetesEntityAttribute>()))
            .Where(o => o.Entity is not null)
            .ToList();

        Assert.NotEmpty(builtIn);
        Assert.All(builtIn, o =>
        {
            var expected = string.IsNullOrEmpty(o.Entity!.Group) ? o.Entity.ApiVersion : $"{o.Entity.Group}/{o.Entity.ApiVersion}";
            Assert.Equal((expected, o.Entity.Kind), (o.Object.ApiVersion, o.Object.Kind));
        });
    }
}
