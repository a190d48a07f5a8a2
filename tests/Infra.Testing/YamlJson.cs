using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infra.Testing;

/// <summary>Converts YAML to System.Text.Json nodes, typing plain scalars by the YAML 1.2 core schema.</summary>
public static partial class YamlJson
{
    private const string StringTag = "tag:yaml.org,2002:str";

    /// <summary>Every document of a multi-document stream; an empty document yields <c>null</c>.</summary>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(new StringReader(yaml))));
        return [.. stream.Documents.Select(document => Convert(document.RootNode))];
    }

    /// <summary>The only document of <paramref name="yaml"/>, or <c>null</c> if there is none.</summary>
    public static JsonNode? ParseOne(string yaml)
    {
        var documents = ParseAll(yaml);
        return documents.Count switch
        {
            0 => null,
            1 => documents[0],
            _ => throw new FormatException($"Expected one YAML document, found {documents.Count}."),
        };
    }

    /// <summary>One YAML node (a parsed document's root or any node below it) as JSON.</summary>
    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlScalarNode scalar => ConvertScalar(scalar),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(Convert)]),
        YamlMappingNode mapping => ConvertMapping(mapping),
        _ => throw new FormatException($"Unsupported YAML node {node.NodeType} at {node.Start}."),
    };

    private static JsonObject ConvertMapping(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            var name = key is YamlScalarNode scalar
                ? scalar.Value ?? ""
                : throw new FormatException($"Only scalar mapping keys can become JSON, found {key.NodeType} at {key.Start}.");
            result.Add(name, Convert(value));
        }

        return result;
    }

    private static JsonValue? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        // Untagged plain scalars are resolved by content; quoted/block scalars, !!str and the non-specific "!" stay strings.
        var resolve = scalar.Tag.IsEmpty
            ? scalar.Style == ScalarStyle.Plain
            : !scalar.Tag.IsNonSpecific && scalar.Tag.Value != StringTag;
        return resolve ? ResolveCoreSchema(text) : JsonValue.Create(text);
    }

    private static JsonValue? ResolveCoreSchema(string text)
    {
        if (NullPattern().IsMatch(text))
        {
            return null;
        }

        if (BoolPattern().IsMatch(text))
        {
            return JsonValue.Create(char.ToUpperInvariant(text[0]) == 'T');
        }

        if (DecimalIntPattern().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                ? JsonValue.Create(number)
                : JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        }

        if (OctalIntPattern().IsMatch(text))
        {
            return JsonValue.Create(System.Convert.ToInt64(text[2..], 8));
        }

        if (HexIntPattern().IsMatch(text))
        {
            return JsonValue.Create(long.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        }

        // .inf and .nan are core-schema floats too, but JSON cannot hold them, so they stay strings.
        return FloatPattern().IsMatch(text)
            ? JsonValue.Create(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture))
            : JsonValue.Create(text);
    }

    [GeneratedRegex("^(|~|null|Null|NULL)$")]
    private static partial Regex NullPattern();

    [GeneratedRegex("^(true|True|TRUE|false|False|FALSE)$")]
    private static partial Regex BoolPattern();

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex DecimalIntPattern();

    [GeneratedRegex("^0o[0-7]+$")]
    private static partial Regex OctalIntPattern();

    [GeneratedRegex("^0x[0-9a-fA-F]+$")]
    private static partial Regex HexIntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
