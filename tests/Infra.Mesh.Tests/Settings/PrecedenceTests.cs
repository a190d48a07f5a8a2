using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Settings;

/// <summary>Where a setting comes from: Pulumi's rules for project defaults (Pulumi.yaml) under stack values.</summary>
public class PrecedenceTests
{
    private static StackSettings Load(StackFiles files, string stack) =>
        StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, stack));

    [Fact]
    public void The_default_form_in_the_project_file_applies_where_the_stack_is_silent()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "  infra:mesh: istio", "  infra:mesh:\n    type: string\n    description: The service mesh\n    default: linkerd");
        files.Replace("Pulumi.prod.yaml", "  infra:mesh: istio\n", "");

        Assert.Equal(MeshKind.Linkerd, Load(files, "prod").Mesh);
        Assert.Equal(MeshKind.Istio, Load(files, "dev").Mesh);
    }

    [Fact]
    public void A_project_declaration_without_value_or_default_sets_nothing()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "  infra:mesh: istio", "  infra:mesh:\n    type: string\n    description: The service mesh");
        files.Replace("Pulumi.prod.yaml", "  infra:mesh: istio\n", "");

        var source = ProjectConfigFiles.Load(files.Directory, "prod");

        Assert.Null(source.Find("mesh"));
        Assert.Equal(MeshKind.Istio, StackSettingsLoader.Load(source).Mesh);
    }

    [Fact]
    public void A_project_object_must_be_wrapped_in_value()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "  infra:mesh: istio", "  infra:mesh: istio\n  infra:ingress:\n    replicas: 2");

        var error = Assert.Single(Assert.Throws<SettingsException>(() => Load(files, "dev")).Errors);

        Assert.Equal(("Pulumi.yaml", "infra:ingress"), (error.File, error.Key));
        Assert.Contains("'replicas'", error.Message, StringComparison.Ordinal);
        Assert.Contains("value:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stack_value_replaces_the_project_value_whole()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "  infra:mesh: istio", "  infra:mesh: istio\n  infra:ingress:\n    value:\n      namespace: edge\n      replicas: 2");

        var dev = Load(files, "dev");
        var prod = Load(files, "prod");

        Assert.Equal(new IngressSettings("edge", "ingress-tls", 2), dev.Ingress);
        // Pulumi does not merge objects across files: prod's infra:ingress (replicas only) drops the project's namespace.
        Assert.Equal(new IngressSettings("mesh-ingress", "ingress-tls", 3), prod.Ingress);
    }

    [Fact]
    public void Environment_defaults_differ_between_dev_and_prod_unless_set()
    {
        var dev = Stacks.Settings("dev");
        var prod = Stacks.Settings("prod");

        Assert.False(dev.Service("orders").Autoscaling.Enabled);
        Assert.True(prod.Service("orders").Autoscaling.Enabled);
        Assert.True(dev.Service("orders").Nrepl.Enabled);
        Assert.False(prod.Service("orders").Nrepl.Enabled);
        Assert.Equal("ALLOW_ANY", dev.Istio.OutboundTrafficPolicy);
        Assert.Equal("REGISTRY_ONLY", prod.Istio.OutboundTrafficPolicy);
        // Set explicitly in prod, so the prod default (off) does not apply.
        Assert.True(prod.Observability.Grafana);
    }

    [Fact]
    public void An_override_set_to_null_removes_the_catalog_value()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1", "    api-gateway:\n      replicas: 1\n      public: ~");

        Assert.Null(Load(files, "dev").Service("api-gateway").Public);
        Assert.NotNull(Stacks.Settings("dev").Service("api-gateway").Public);
    }

    [Fact]
    public void Overrides_merge_mappings_key_by_key_and_replace_lists()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1",
            "    api-gateway:\n      replicas: 1\n      jvm:\n        options: [\"-XX:+UseZGC\"]\n      calls:\n        - orders");

        var gateway = Load(files, "dev").Service("api-gateway");

        Assert.Equal(75, gateway.Jvm.MaxRamPercentage);
        Assert.Equal(["-XX:+UseZGC"], gateway.Jvm.Options.AsEnumerable());
        Assert.Equal(["orders"], gateway.Calls.Select(c => c.Service));
    }
}
