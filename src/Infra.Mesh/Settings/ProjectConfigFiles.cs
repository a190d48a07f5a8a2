using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Settings;

/// <summary>
/// Reads stack settings the way Pulumi does, without Pulumi: project-level defaults from <c>Pulumi.yaml</c>,
/// then <c>Pulumi.&lt;stack&gt;.yaml</c>, a stack value replacing the project default of the same key.
/// Secret (<c>secure:</c>) values are recognised and never read.
/// </summary>
public sealed class ProjectConfigFiles : IStackConfigSource
{
    public const string Namespace = "infra";
    public const string ProjectFileName = "Pulumi.yaml";

    private readonly Dictionary<string, ConfigEntry> _entries;

    private ProjectConfigFiles(string stackName, string stackFile, Dictionary<string, ConfigEntry> entries)
    {
        StackName = stackName;
        StackFile = stackFile;
        _entries = entries;
    }

    public string StackName { get; }

    public string StackFile { get; }

    public IReadOnlyCollection<string>? Keys => _entries.Keys;

    public ConfigEntry? Find(string key) => _entries.GetValueOrDefault(key);

    public bool? HasSecret(string key) => _entries.TryGetValue(key, out var entry) && entry.IsSecret;

    /// <summary>The file that holds a stack's settings: <c>Pulumi.&lt;stack&gt;.yaml</c>.</summary>
    public static string StackFileName(string stackName) => $"Pulumi.{stackName}.yaml";

    /// <summary>The stacks a project directory has a stack file for, in ordinal order.</summary>
    public static IEnumerable<string> Stacks(string projectDirectory) =>
        Directory.GetFiles(projectDirectory, StackFileName("*")).Select(p => Path.GetFileName(p)[7..^5]).Order(StringComparer.Ordinal);

    /// <summary>Loads a stack from a project directory; throws <see cref="SettingsException"/> with every file-level problem.</summary>
    public static ProjectConfigFiles Load(string projectDirectory, string stackName)
    {
        var stackFileName = StackFileName(stackName);
        var errors = new List<SettingsError>();
        var entries = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);

        var project = ReadYaml(Path.Combine(projectDirectory, ProjectFileName), ProjectFileName, errors);
        if (project is not null)
        {
            foreach (var (key, line, value) in ConfigSection(project, ProjectFileName, errors))
            {
                if (ProjectValue(key, value, errors) is { } projectValue)
                {
                    AddEntry(entries, key, line, projectValue, ProjectFileName, errors);
                }
            }
        }

        var stackPath = Path.Combine(projectDirectory, stackFileName);
        if (!File.Exists(stackPath))
        {
            var known = Directory.Exists(projectDirectory) ? Stacks(projectDirectory) : [];
            errors.Add(new SettingsError(stackFileName, "stack",
                $"'{stackName}' has no stack file; known stacks: {string.Join(", ", known)}"));
        }
        else if (ReadYaml(stackPath, stackFileName, errors) is { } stack)
        {
            foreach (var (key, line, value) in ConfigSection(stack, stackFileName, errors))
            {
                AddEntry(entries, key, line, value, stackFileName, errors);
            }
        }

        if (errors.Count > 0)
        {
            // Keys are read from the files as a whole: nothing else can be checked until they read.
            throw new SettingsException(errors) { Skipped = ["the settings and every rule: not checked, they need the files above to read"] };
        }

        return new ProjectConfigFiles(stackName, stackFileName, entries);
    }

    private static YamlMappingNode? ReadYaml(string path, string displayName, List<SettingsError> errors)
    {
        if (!File.Exists(path))
        {
            errors.Add(new SettingsError(displayName, "(file)", $"not found at {path}"));
            return null;
        }

        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path))
            {
                stream.Load(reader);
            }

            if (stream.Documents.Count == 0)
            {
                return new YamlMappingNode();
            }

            if (stream.Documents[0].RootNode is YamlMappingNode root)
            {
                foreach (var (message, line) in YamlMergeKeys.Apply(root))
                {
                    errors.Add(new SettingsError(displayName, "(file)", message, line));
                }

                return root;
            }

            errors.Add(new SettingsError(displayName, "(file)", "expected a YAML mapping at the top level",
                (int)stream.Documents[0].RootNode.Start.Line));
        }
        catch (YamlException e) when (e.Message.StartsWith("Duplicate key", StringComparison.Ordinal))
        {
            // Pulumi's YAML reader (go-yaml v3) refuses a mapping that sets a key twice too ("mapping key already defined").
            errors.Add(new SettingsError(displayName, "(file)", $"INFRA170: {e.Message.ToLowerInvariant()} in one mapping; set each key once (a merge key, <<: *anchor, may supply keys the mapping does not set)", (int)e.Start.Line));
        }
        catch (YamlException e)
        {
            errors.Add(new SettingsError(displayName, "(file)", $"malformed YAML: {e.Message}", (int)e.Start.Line));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet gives up this way on some unterminated constructs (an unclosed '[' or '{').
            errors.Add(new SettingsError(displayName, "(file)", "malformed YAML: unexpected end of a flow collection or quoted string (an unclosed '[', '{' or quote?)",
                LastParsedLine(path)));
        }

        return null;
    }

    /// <summary>The line of the last YAML event that parsed, where an unterminated construct began at the latest.</summary>
    private static int? LastParsedLine(string path)
    {
        using var reader = new StreamReader(path);
        var parser = new Parser(reader);
        int? line = null;
        try
        {
            while (parser.MoveNext())
            {
                line = (int)parser.Current!.Start.Line;
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // Expected: this is the file that failed to load.
        }

        return line;
    }

    private static IEnumerable<(string Key, int Line, YamlNode Value)> ConfigSection(YamlMappingNode root, string file, List<SettingsError> errors)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode("config"), out var config) || config is YamlScalarNode { Value: null or "" })
        {
            yield break;
        }

        if (config is not YamlMappingNode mapping)
        {
            errors.Add(new SettingsError(file, "config", "expected a mapping of config keys", (int)config.Start.Line));
            yield break;
        }

        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var line = (int)keyNode.Start.Line;
            var separator = key.IndexOf(':', StringComparison.Ordinal);
            if (separator < 0)
            {
                // Project-level keys without a namespace belong to the project itself (Pulumi's rule).
                yield return (key, line, value);
            }
            else if (key[..separator] == Namespace)
            {
                yield return (key[(separator + 1)..], line, value);
            }
        }
    }

    private static readonly string[] ProjectValueKeys = ["value", "default", "type", "description", "secret", "items"];

    /// <summary>
    /// Pulumi.yaml allows <c>key: scalar-or-list</c>, <c>key: {value: ...}</c> and <c>key: {type, default, description, ...}</c>;
    /// a declaration without a value or default sets nothing. Objects must be wrapped in <c>value:</c>, as Pulumi requires.
    /// </summary>
    private static YamlNode? ProjectValue(string key, YamlNode node, List<SettingsError> errors)
    {
        if (node is not YamlMappingNode mapping)
        {
            return node;
        }

        var unknown = mapping.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "").Where(k => !ProjectValueKeys.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            errors.Add(new SettingsError(ProjectFileName, $"{Namespace}:{key}",
                $"unknown key '{unknown[0]}'; a project config value is a scalar, a list, or a mapping of {string.Join(", ", ProjectValueKeys)} (wrap objects in value:)",
                (int)mapping.Start.Line));
            return null;
        }

        return mapping.Children.TryGetValue(new YamlScalarNode("value"), out var value) ? value
            : mapping.Children.TryGetValue(new YamlScalarNode("default"), out var defaultValue) ? defaultValue
            : null;
    }

    private static void AddEntry(Dictionary<string, ConfigEntry> entries, string key, int line, YamlNode value, string file, List<SettingsError> errors)
    {
        if (IsSecure(value))
        {
            // The ciphertext is never kept: a placeholder stands in for it.
            entries[key] = new ConfigEntry(key, new YamlScalarNode("[secret]"), file, IsSecret: true, line);
        }
        else if (ContainsSecure(value))
        {
            errors.Add(new SettingsError(file, $"{Namespace}:{key}",
                "secret values are only supported as whole keys (pulumi config set --secret KEY); reference them by key name",
                line));
        }
        else
        {
            entries[key] = new ConfigEntry(key, value, file, IsSecret: false, line);
        }
    }

    private static bool IsSecure(YamlNode node) =>
        node is YamlMappingNode { Children.Count: 1 } m && m.Children.ContainsKey(new YamlScalarNode("secure"));

    private static bool ContainsSecure(YamlNode node) => node switch
    {
        YamlMappingNode m => m.Children.Any(c => IsSecure(c.Value) || ContainsSecure(c.Value)),
        YamlSequenceNode s => s.Children.Any(c => IsSecure(c) || ContainsSecure(c)),
        _ => false,
    };
}
