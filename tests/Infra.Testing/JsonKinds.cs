using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>JSON-schema names for the kind of a node, and numeric access that works for any JsonValue backing.</summary>
internal static class JsonKinds
{
    public static string Name(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => IsInteger(node) ? "integer" : "number",
    };

    /// <summary>Whether the node is a JSON number with no fractional part (what Kubernetes accepts as integer).</summary>
    public static bool IsInteger(JsonNode? node) => TryGetNumber(node, out var number) && Math.Floor(number) == number;

    // Parsing the JSON text covers nodes built from long/double as well as nodes parsed from JSON.
    public static bool TryGetNumber(JsonNode? node, out double number)
    {
        number = 0;
        return node?.GetValueKind() == JsonValueKind.Number
            && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }
}
