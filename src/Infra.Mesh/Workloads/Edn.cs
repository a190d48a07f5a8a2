using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using Infra.Mesh.Settings;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Workloads;

/// <summary>
/// Writes catalog configuration (YAML) as EDN for Clojure services (Aero and friends read it): mappings become maps,
/// lists become vectors, and scalars keep the YAML 1.2 core type of a plain scalar (integer, float, boolean, null).
/// Keys become keywords when keyword-shaped with or without their colon (<c>pool-size</c>, <c>":pool-size"</c>), and
/// keyword-shaped values (<c>:info</c>, <c>:db/pool</c>) become keywords whether quoted or not (<see cref="EdnSyntax"/>): at deploy time
/// Pulumi hands the config over as JSON, where every string is quoted, and both routes must give the same file.
/// Every other string, quoted or plain, stays a string.
/// </summary>
public static partial class Edn
{
    public static string Write(YamlMappingNode? config)
    {
        var text = new StringBuilder();
        WriteValue(text, config ?? new YamlMappingNode(), 0);
        return text.Append('\n').ToString();
    }

    /// <param name="column">Where the value starts on its line, so continuation lines align under it.</param>
    private static void WriteValue(StringBuilder text, YamlNode node, int column)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                text.Append('{');
                var first = true;
                foreach (var (key, value) in mapping.Children)
                {
                    if (!first)
                    {
                        text.Append('\n').Append(' ', column + 1);
                    }

                    first = false;
                    var keyText = Key(((YamlScalarNode)key).Value ?? "");
                    text.Append(keyText).Append(' ');
                    WriteValue(text, value, column + 1 + keyText.Length + 1);
                }

                text.Append('}');
                break;
            case YamlSequenceNode sequence:
                // Scalars share a line; maps and vectors get a line each, aligned after the bracket.
                var separator = sequence.Children.Any(c => c is not YamlScalarNode) ? "\n" + new string(' ', column + 1) : " ";
                text.Append('[');
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(separator);
                    }

                    WriteValue(text, sequence.Children[i], column + 1);
                }

                text.Append(']');
                break;
            case YamlScalarNode scalar:
                text.Append(Scalar(scalar));
                break;
        }
    }

    private static string Key(string key) => EdnSyntax.KeywordKey(key) ?? Quote(key);

    private static string Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (EdnSyntax.IsKeyword(value))
        {
            return value;
        }

        // Quoting, or an explicit !!str, makes a string; only plain scalars resolve to other types.
        var explicitString = !scalar.Tag.IsEmpty && scalar.Tag.Value == "tag:yaml.org,2002:str";
        var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && !explicitString;
        return plain ? PlainScalar(value) ?? Quote(value) : Quote(value);
    }

    /// <summary>The EDN of a plain scalar that YAML's core schema resolves to a non-string, or null for a string.</summary>
    private static string? PlainScalar(string value)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return "nil";
            case "true" or "True" or "TRUE":
                return "true";
            case "false" or "False" or "FALSE":
                return "false";
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return "##Inf";
            case "-.inf" or "-.Inf" or "-.INF":
                return "##-Inf";
            case ".nan" or ".NaN" or ".NAN":
                return "##NaN";
        }

        if (DecimalInteger().IsMatch(value))
        {
            return Integer(BigInteger.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }

        if (value.StartsWith("0x", StringComparison.Ordinal) && HexDigits().IsMatch(value[2..]))
        {
            // A leading 0 keeps the number positive whatever its top bit.
            return Integer(BigInteger.Parse("0" + value[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        }

        if (value.StartsWith("0o", StringComparison.Ordinal) && OctalDigits().IsMatch(value[2..]))
        {
            return Integer(value[2..].Aggregate(BigInteger.Zero, (n, digit) => n * 8 + (digit - '0')));
        }

        if (EdnSyntax.IsFloatLiteral(value))
        {
            var number = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsInfinity(number))
            {
                // Beyond a double (1e400): settings validation refuses it in a catalog; written here as the value it reads as,
                // in EDN's own spelling, since .NET's "Infinity" would read as a symbol.
                return number > 0 ? "##Inf" : "##-Inf";
            }

            var text = number.ToString("R", CultureInfo.InvariantCulture);
            // EDN reads 3 as an integer: a float needs a fraction or an exponent.
            return text.IndexOfAny(['.', 'E', 'e']) >= 0 ? text : text + ".0";
        }

        return null;
    }

    /// <summary>Integers beyond a long get EDN's arbitrary-precision suffix rather than silently losing digits.</summary>
    private static string Integer(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue
            ? value.ToString(CultureInfo.InvariantCulture)
            : value.ToString(CultureInfo.InvariantCulture) + "N";

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
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^[0-9a-fA-F]+$")]
    private static partial Regex HexDigits();

    [GeneratedRegex(@"^[0-7]+$")]
    private static partial Regex OctalDigits();
}
