using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Settings;

/// <summary>
/// The catalog in Pulumi.yaml is shared by every stack: a bad value in it is an error even on a stack whose override
/// replaces it (other stacks, and stacks added later, read it), named at Pulumi.yaml's line and the catalog key.
/// </summary>
public sealed class ReplacedCatalogValueTests : IDisposable
{
    private const string GatewayReplicas = "image: ghcr.io/acme/api-gateway:1.14.2\n        replicas: 2\n";
    private const string GatewayMemory = "          memory: 768Mi\n        jvm:\n          maxRamPercentage: 75\n          options: [\"-XX:+UseG1GC\"]\n        public:";

    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(GatewayReplicas, "image: ghcr.io/acme/api-gateway:1.14.2\n        replicas: several\n", "replicas", "'several'")]
    [InlineData(GatewayReplicas, "image: ghcr.io/acme/api-gateway:1.14.2\n        replicas: 900\n", "replicas", "900")]
    [InlineData(GatewayMemory, "          memory: plenty\n        jvm:\n          maxRamPercentage: 75\n          options: [\"-XX:+UseG1GC\"]\n        public:", "resources.memory", "'plenty'")]
    public void A_bad_catalog_value_the_prod_stack_overrides_is_an_error_at_its_catalog_line(string old, string bad, string field, string value)
    {
        _files.Replace("Pulumi.yaml", old, bad);
        var line = _files.Read("Pulumi.yaml")[.._files.Read("Pulumi.yaml").IndexOf(bad, StringComparison.Ordinal)].Count(c => c == '\n')
            + bad[..bad.IndexOf(field.Split('.')[^1] + ":", StringComparison.Ordinal)].Count(c => c == '\n') + 1;

        // prod overrides api-gateway's replicas and resources, so its own read never sees the catalog's value.
        var error = Assert.Single(Assert.Throws<SettingsException>(() => _files.Analyze("prod")).Errors);

        Assert.Equal("Pulumi.yaml", Path.GetFileName(error.File));
        Assert.Equal($"infra:services[api-gateway].{field}", error.Key);
        Assert.Equal(line, error.Line);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stack_that_overrides_the_field_reports_the_catalog_value_once()
    {
        _files.Replace("Pulumi.yaml", GatewayReplicas, "image: ghcr.io/acme/api-gateway:1.14.2\n        replicas: three\n");
        _files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1\n", "    api-gateway:\n      replicas: 4\n");

        var errors = Assert.Throws<SettingsException>(() => _files.Analyze("dev")).Errors;

        var error = Assert.Single(errors);
        Assert.Equal("infra:services[api-gateway].replicas", error.Key);
        Assert.Contains("'three'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_catalog_value_an_override_replaces_stays_valid_and_the_override_wins()
    {
        _files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1\n", "    api-gateway:\n      replicas: 4\n      resources: {memory: 2Gi}\n");

        var gateway = _files.Analyze("dev").Settings.Service("api-gateway");

        Assert.Equal(4, gateway.Replicas);
        Assert.Equal("2Gi", gateway.Resources.Memory);
    }

    [Fact]
    public void A_bad_override_value_is_still_reported_at_the_stack_file()
    {
        _files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1\n", "    api-gateway:\n      replicas: four\n");

        var error = Assert.Single(Assert.Throws<SettingsException>(() => _files.Analyze("dev")).Errors);

        Assert.Equal("Pulumi.dev.yaml", Path.GetFileName(error.File));
        Assert.Equal("infra:serviceOverrides.api-gateway.replicas", error.Key);
    }
}
