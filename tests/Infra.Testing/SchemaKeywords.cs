using System.Text.Json;
using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>Typed reads of schema keywords.</summary>
internal static class SchemaKeywords
{
    public static bool Flag(JsonObject schema, string keyword) => schema[keyword]?.GetValueKind() == JsonValueKind.True;

    public static bool TryGetNumber(JsonObject schema, string keyword, out double number) =>
        JsonKinds.TryGetNumber(schema[keyword], out number);

    public static IReadOnlyList<string> Strings(JsonObject schema, string keyword) =>
        schema[keyword] switch
        {
            JsonArray array => [.. array.Select(item => item?.GetValue<string>()).OfType<string>()],
            JsonValue single when single.GetValueKind() == JsonValueKind.String => [single.GetValue<string>()],
            _ => [],
        };

    public static IReadOnlyList<JsonObject> Schemas(JsonObject schema, string keyword) =>
        schema[keyword] is JsonArray array ? [.. array.OfType<JsonObject>()] : [];
}
