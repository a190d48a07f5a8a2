using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Settings;

public enum ConfigReload
{
    /// <summary>Mounted as a directory (no subPath) so kubelet updates the file and the app reloads it.</summary>
    Live,

    /// <summary>A checksum on the pod template rolls the pods when the config changes.</summary>
    Restart,
}

/// <summary>Per-service configuration: an EDN document and environment variables.</summary>
public sealed record ServiceConfig(ConfigReload Reload, YamlMappingNode? Edn, ImmutableArray<KeyValuePair<string, string>> Environment)
{
    internal static ServiceConfig Read(ConfigNode node)
    {
        node.IsMapping("reload", "edn", "env");
        var edn = node["edn"];
        var ednNode = edn.Exists && edn.IsMapping() ? edn.Merged() as YamlMappingNode : null;
        if (ednNode is not null)
        {
            CheckEdn(edn);
        }

        var env = node["env"];
        env.IsMapping();
        foreach (var key in env.Keys().Where(k => !Names.EnvironmentVariable().IsMatch(k)))
        {
            env[key].Error($"'{key}' is not a valid environment variable name");
        }

        return new ServiceConfig(
            node["reload"].OneOf("restart", "live", "restart") == "live" ? ConfigReload.Live : ConfigReload.Restart,
            ednNode,
            [.. env.TextMap()]);
    }

    /// <summary>
    /// What YAML can say but <c>config.edn</c> cannot mean: two keys of one mapping that are the same EDN key
    /// (<c>kw</c> and <c>:kw</c> are both <c>:kw</c>; an EDN reader refuses a map with a duplicate key), and a number
    /// beyond a double (<c>1e400</c>), which would silently become infinity. Each error names the key.
    /// </summary>
    private static void CheckEdn(ConfigNode node)
    {
        if (node.IsMappingValue)
        {
            var keys = node.Keys();
            foreach (var same in keys.GroupBy(k => EdnSyntax.KeywordKey(k) ?? k, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                node[same.Last()].Error($"'{string.Join("' and '", same)}' are the same EDN key {same.Key}, which an EDN reader refuses twice in a map; keep one");
            }

            foreach (var key in keys)
            {
                CheckEdn(node[key]);
            }
        }
        else if (node.IsSequence)
        {
            foreach (var item in node.Items())
            {
                CheckEdn(item);
            }
        }
        else if (node.ScalarNode is { } scalar && EdnSyntax.Overflows(scalar))
        {
            node.Error($"{scalar.Value} is beyond a double's range (about ±1.8e308) and would become infinity; "
                + "write .inf or -.inf for infinity, a smaller number, or quote it for a string");
        }
    }
}

/// <summary>An environment variable filled from a secret stack config key (<c>pulumi config set --secret</c>).</summary>
public sealed record SecretEnvironmentVariable(string Name, string ConfigKey)
{
    /// <summary>Secret environment variables; every config key named is added to <paramref name="referenced"/>.</summary>
    internal static ImmutableArray<SecretEnvironmentVariable> ReadAll(IStackConfigSource source, ConfigNode node, HashSet<string> referenced)
    {
        node.IsMapping();
        var secrets = new List<SecretEnvironmentVariable>();
        foreach (var variable in node.Keys())
        {
            var key = node[variable].Matching(Names.ConfigKey(), "the name of a secret stack config key");
            if (!Names.EnvironmentVariable().IsMatch(variable))
            {
                node[variable].Error($"'{variable}' is not a valid environment variable name");
            }

            if (key is null)
            {
                continue;
            }

            referenced.Add(key);
            if (source.HasSecret(key) == false && source.Find(key) is { IsSecret: false })
            {
                node[variable].Error($"infra:{key} is set as plain text; set it with: pulumi config set --secret infra:{key}");
            }
            else
            {
                // Set or not: renders show a placeholder either way, and `pulumi preview`/`up` stop before creating
                // anything while a key is missing (MeshStack), so stack files need not carry ciphertext.
                secrets.Add(new SecretEnvironmentVariable(variable, key));
            }
        }

        return [.. secrets];
    }
}
