using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Settings;

/// <summary>
/// Where stack settings come from: Pulumi's own config at deploy time, or the project and stack files
/// read directly by the offline tool. Keys are given without the <c>infra:</c> namespace.
/// </summary>
public interface IStackConfigSource
{
    string StackName { get; }

    /// <summary>The file a user edits to change this stack, named in error messages.</summary>
    string StackFile { get; }

    /// <summary>Every <c>infra:</c> key that is set, when the source can list them (null when it cannot).</summary>
    IReadOnlyCollection<string>? Keys { get; }

    /// <summary>The value of a plain (non-secret) key, or null when it is not set.</summary>
    ConfigEntry? Find(string key);

    /// <summary>Whether a secret key is set; never returns the value. Null when the source cannot tell.</summary>
    bool? HasSecret(string key);
}

/// <summary>A config value as a YAML node (JSON is YAML too), with the file it was read from and the line of its key.</summary>
public sealed record ConfigEntry(string Key, YamlNode Value, string File, bool IsSecret, int? Line = null);
