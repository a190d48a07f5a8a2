using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Settings;

public class StackSettingsTests
{
    [Fact]
    public void Stack_value_overrides_the_project_default_and_unset_keys_keep_it()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "infra:mesh: istio", "infra:mesh: linkerd");
        var dev = StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev"));
        Assert.Equal(MeshKind.Linkerd, dev.Mesh);

        files.Replace("Pulumi.dev.yaml", "infra:mesh: linkerd", "");
        var defaulted = StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev"));
        Assert.Equal(MeshKind.Istio, defaulted.Mesh);
    }

    [Fact]
    public void Service_overrides_merge_into_the_catalog_entry()
    {
        var dev = Stacks.Settings("dev");
        var prod = Stacks.Settings("prod");

        Assert.Equal(1, dev.Service("api-gateway").Replicas);
        Assert.Equal(3, prod.Service("api-gateway").Replicas);
        Assert.Equal("1Gi", prod.Service("api-gateway").Resources.Memory);
        // Keys the override does not mention keep the catalog's values.
        Assert.Equal("250m", dev.Service("api-gateway").Resources.Cpu);
        Assert.Equal(10, dev.Service("orders").Canary?.Weight);
        Assert.Null(prod.Service("orders").Canary);
    }
}
