using Infra.Mesh.Settings;
using Pulumi;
using YamlDotNet.RepresentationModel;

namespace Infra;

/// <summary>
/// Stack settings from Pulumi's own config: the CLI has already applied project defaults and stack values.
/// Structured values (the catalog, overrides) arrive as JSON text, which is YAML too.
/// </summary>
public sealed class PulumiConfigSource(Config config, string stackName) : IStackConfigSource
{
    public string StackName { get; } = stackName;

    public string StackFile => $"Pulumi.{StackName}.yaml";

    // Pulumi's Config cannot list its keys; unknown keys are caught by the offline `infra validate` in CI.
    public IReadOnlyCollection<string>? Keys => null;

    public ConfigEntry? Find(string key)
    {
        var value = config.Get(key);
        return value is null ? null : new ConfigEntry(key, Parse(value), $"{StackFile} (or Pulumi.yaml)", IsSecret: false);
    }

    /// <summary>Only asks whether the key is set: the value stays inside Pulumi's secret output.</summary>
    public bool? HasSecret(string key) => config.GetSecret(key) is not null;

    private static YamlNode Parse(string value)
    {
        if (value.StartsWith('{') || value.StartsWith('['))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(value));
            return stream.Documents[0].RootNode;
        }

        return new YamlScalarNode(value);
    }
}
