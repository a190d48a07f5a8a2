using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Workloads;

/// <summary>
/// Writes catalog configuration (YAML) as EDN for Clojure services (Aero and friends read it):
/// mapping keys become keywords, plain scalars keep their type (numbers, booleans, nil, and
/// <c>:keyword</c>), quoted scalars stay strings, lists become vectors.
/// </summary>
public static partial class Edn
{
    public static string Write(YamlMappingNode? config)
    {
        var text = new StringBuilder();
        WriteValue(text, config ?? new YamlMappingNode(), 0);
        return text.Append('\n').ToString();
    }

    private static void WriteValue(StringBuilder text, YamlNode node, int indent)
    {
        switch (node)
        {
            case YamlMappingNode { Children.Count: 0 }:
                text.Append("{}");
                break;
            case YamlMappingNode mapping:
                text.Append('{');
                var first = true;
                foreach (var (key, value) in mapping.Children)
                {
                    if (!first)
                    {
                        text.Append('\n').Append(' ', indent + 1);
                    }

                    first = false;
                    var keyText = Key(((YamlScalarNode)key).Value ?? "");
                    text.Append(keyText).Append(' ');
                    WriteValue(text, value, indent + 1 + keyText.Length + 1);
                }

                text.Append('}');
                break;
            case YamlSequenceNode sequence:
                text.Append('[');
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(' ');
                    }

                    WriteValue(text, sequence.Children[i], indent + 1);
                }

                text.Append(']');
                break;
            case YamlScalarNode scalar:
                text.Append(Scalar(scalar));
                break;
        }
    }

    private static string Key(string key) => KeywordName().IsMatch(key) ? ":" + key : Quote(key);

    private static string Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return Quote(value);
        }

        if (value is "" or "~" or "null")
        {
            return "nil";
        }

        if (value is "true" or "false")
        {
            return value;
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer.ToString(CultureInfo.InvariantCulture);
        }

        if (FloatNumber().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return number.ToString("R", CultureInfo.InvariantCulture) is var r && r.Contains('.', StringComparison.Ordinal) ? r : r + ".0";
        }

        return value.StartsWith(':') && KeywordName().IsMatch(value[1..]) ? value : Quote(value);
    }

    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    /// <summary>Keyword names as Clojure reads them: a symbol, optionally namespaced (<c>db/pool-size</c>).</summary>
    [GeneratedRegex(@"^[A-Za-z*+!_?<>=-][A-Za-z0-9*+!_?<>=.-]*(/[A-Za-z*+!_?<>=-][A-Za-z0-9*+!_?<>=.-]*)?$")]
    private static partial Regex KeywordName();

    [GeneratedRegex(@"^[-+]?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatNumber();
}
