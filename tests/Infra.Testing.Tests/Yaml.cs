using System.Text.Json.Nodes;

namespace Infra.Testing.Tests;

/// <summary>Test objects are written as YAML, the way manifests are.</summary>
internal static class Yaml
{
    public static JsonNode Parse(string yaml) => YamlJson.ParseOne(yaml) ?? throw new ArgumentException("empty YAML", nameof(yaml));

    public static JsonObject Object(string yaml) => Parse(yaml).AsObject();
}
