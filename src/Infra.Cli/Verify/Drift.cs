using System.Text.Json.Nodes;

namespace Infra.Cli.Verify;

/// <summary>Field-level differences between a planned object and the live one.</summary>
public static class Drift
{
    /// <summary>
    /// Adds a line <c>path: planned X, live Y</c> for every field the plan sets that the live object lacks or holds
    /// differently. Fields only the live object has are defaults the API server or a controller filled in and are not
    /// drift; list items are compared by position, so a list of a different length is drift.
    /// </summary>
    public static void Compare(string path, JsonNode? planned, JsonNode? live, List<string> drift)
    {
        switch (planned)
        {
            case null:
                return;
            case JsonObject { Count: 0 } when live is JsonObject { Count: > 0 }:
                // An empty spec means something (Istio's allow-nothing policy): anything added to it changes behaviour.
                drift.Add($"{path}: planned {{}}, live {Show(live)}");
                return;
            case JsonObject plannedObject when live is JsonObject liveObject:
                foreach (var (key, value) in plannedObject)
                {
                    Compare($"{path}.{key}", value, liveObject[key], drift);
                }

                return;
            case JsonArray plannedArray when live is JsonArray liveArray && plannedArray.Count == liveArray.Count:
                for (var i = 0; i < plannedArray.Count; i++)
                {
                    Compare($"{path}[{i}]", plannedArray[i], liveArray[i], drift);
                }

                return;
            default:
                if (!JsonNode.DeepEquals(planned, live))
                {
                    drift.Add($"{path}: planned {Show(planned)}, live {Show(live)}");
                }

                return;
        }
    }

    private static string Show(JsonNode? value)
    {
        var text = value is null ? "(absent)" : value.ToJsonString();
        return text.Length > 80 ? text[..77] + "..." : text;
    }
}
