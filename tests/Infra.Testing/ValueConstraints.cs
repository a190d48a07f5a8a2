using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Infra.Testing;

/// <summary>Value checks that do not descend into children: enum, string length/pattern/format, numeric bounds/format.</summary>
internal static class ValueConstraints
{
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new();

    public static void Check(JsonObject schema, JsonNode value, string path, List<string> errors)
    {
        var at = JsonPath.Show(path);
        if (schema["enum"] is JsonArray allowed && !allowed.Any(option => JsonNode.DeepEquals(option, value)))
        {
            errors.Add($"{at}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }

        if (value is JsonValue scalar && scalar.TryGetValue<string>(out var text))
        {
            CheckString(schema, text, at, errors);
        }
        else if (JsonKinds.TryGetNumber(value, out var number))
        {
            CheckNumber(schema, number, at, errors);
        }
    }

    private static void CheckString(JsonObject schema, string text, string at, List<string> errors)
    {
        // Kubernetes counts characters (runes), not UTF-16 code units.
        var length = text.EnumerateRunes().Count();
        if (SchemaKeywords.TryGetNumber(schema, "minLength", out var minLength) && length < minLength)
        {
            errors.Add($"{at}: length {length} is below minLength {minLength}");
        }

        if (SchemaKeywords.TryGetNumber(schema, "maxLength", out var maxLength) && length > maxLength)
        {
            errors.Add($"{at}: length {length} exceeds maxLength {maxLength}");
        }

        if (schema["pattern"]?.GetValue<string>() is { } pattern && !Patterns.GetOrAdd(pattern, p => new Regex(p)).IsMatch(text))
        {
            errors.Add($"{at}: \"{text}\" does not match pattern {pattern}");
        }

        if (schema["format"]?.GetValue<string>() is { } format && !HasStringFormat(format, text))
        {
            errors.Add($"{at}: \"{text}\" is not a valid {format}");
        }
    }

    // The string formats the reference CRDs use that Kubernetes checks; other formats are ignored.
    private static bool HasStringFormat(string format, string text) => format switch
    {
        "byte" => Convert.TryFromBase64String(text, new byte[text.Length], out _),
        "ipv4" => IPAddress.TryParse(text, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') == 3,
        "ipv6" => IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6,
        _ => true,
    };

    private static void CheckNumber(JsonObject schema, double number, string at, List<string> errors)
    {
        var shown = number.ToString(CultureInfo.InvariantCulture);
        if (SchemaKeywords.TryGetNumber(schema, "minimum", out var minimum)
            && (SchemaKeywords.Flag(schema, "exclusiveMinimum") ? number <= minimum : number < minimum))
        {
            errors.Add($"{at}: {shown} is below the minimum {minimum}");
        }

        if (SchemaKeywords.TryGetNumber(schema, "maximum", out var maximum)
            && (SchemaKeywords.Flag(schema, "exclusiveMaximum") ? number >= maximum : number > maximum))
        {
            errors.Add($"{at}: {shown} is above the maximum {maximum}");
        }

        var format = schema["format"]?.GetValue<string>();
        if ((format == "int32" && (number < int.MinValue || number > int.MaxValue))
            || (format == "int64" && (number < long.MinValue || number > long.MaxValue)))
        {
            errors.Add($"{at}: {shown} does not fit format {format}");
        }
    }
}
