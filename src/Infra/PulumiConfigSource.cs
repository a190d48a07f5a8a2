using System.Collections.Immutable;
using System.Text.Json;
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
    private const string Prefix = ProjectConfigFiles.Namespace + ":";

    // Pulumi's Config can neither list keys nor tell a secret from a plain value, so both come from where Config reads
    // them: the language host hands the program every key as a JSON object in PULUMI_CONFIG and the secret ones as a
    // JSON array in PULUMI_CONFIG_SECRET_KEYS. With them, unknown keys and plain-text secrets fail `pulumi up` as they
    // fail `infra validate`; without them (another host), neither is checked here.
    private readonly ImmutableHashSet<string>? _keys = InfraKeys(ConfigKeys("PULUMI_CONFIG", JsonValueKind.Object));
    private readonly ImmutableHashSet<string>? _secretKeys = InfraKeys(ConfigKeys("PULUMI_CONFIG_SECRET_KEYS", JsonValueKind.Array));

    public string StackName { get; } = stackName;

    public string StackFile => ProjectConfigFiles.StackFileName(StackName);

    public IReadOnlyCollection<string>? Keys => _keys;

    private string Origin => $"{StackFile} (or Pulumi.yaml)";

    // Each key is parsed once: the loader asks for some keys more than once, and the catalog's JSON grows with the services.
    private readonly Dictionary<string, ConfigEntry?> _found = new(StringComparer.Ordinal);

    public ConfigEntry? Find(string key)
    {
        if (!_found.TryGetValue(key, out var entry))
        {
            _found[key] = entry = Read(key);
        }

        return entry;
    }

    private ConfigEntry? Read(string key)
    {
        if (_secretKeys?.Contains(key) == true)
        {
            // The value stays inside Pulumi's secret output; a placeholder stands in for it, as offline.
            return new ConfigEntry(key, new YamlScalarNode("[secret]"), Origin, IsSecret: true);
        }

        var value = config.Get(key);
        return value is null ? null : new ConfigEntry(key, Parse(value), Origin, IsSecret: false);
    }

    /// <summary>Whether the key is set as a secret (without the key lists: set at all); the value is never read here.</summary>
    public bool? HasSecret(string key) => _secretKeys?.Contains(key) ?? config.GetSecret(key) is not null;

    private static IEnumerable<string>? ConfigKeys(string variable, JsonValueKind kind)
    {
        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } json)
        {
            return null;
        }

        var root = JsonDocument.Parse(json).RootElement;
        return root.ValueKind != kind ? []
            : kind == JsonValueKind.Object ? [.. root.EnumerateObject().Select(p => p.Name)]
            : [.. root.EnumerateArray().Select(e => e.GetString() ?? "")];
    }

    /// <summary>The <c>infra:</c> keys without their namespace (and without the legacy <c>config:</c> part Pulumi's SDK also strips).</summary>
    private static ImmutableHashSet<string>? InfraKeys(IEnumerable<string>? fullKeys) =>
        fullKeys?.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(k => k[Prefix.Length..])
            .Select(k => k.StartsWith("config:", StringComparison.Ordinal) ? k["config:".Length..] : k)
            .ToImmutableHashSet(StringComparer.Ordinal);

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
