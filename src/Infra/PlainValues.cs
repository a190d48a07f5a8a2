using System.Text.Json;
using System.Text.Json.Nodes;

namespace Infra;

/// <summary>Turns the plan's JSON trees into the plain dictionaries, lists and scalars Pulumi serialises.</summary>
public static class PlainValues
{
    public static Dictionary<string, object> Of(JsonObject obj) =>
        obj.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => Of(p.Value!), StringComparer.Ordinal);

    public static object Of(JsonNode node) => node switch
    {
        JsonObject obj => Of(obj),
        JsonArray array => array.Where(i => i is not null).Select(i => Of(i!)).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // Pulumi's serializer takes int and double only (a long throws); every number travels as a double anyway.
            _ when value.TryGetValue<int>(out var i) => i,
            _ => value.GetValue<double>(),
        },
        _ => throw new ArgumentException($"Unsupported JSON node {node.GetType().Name}", nameof(node)),
    };
}
