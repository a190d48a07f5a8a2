using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Infra.Mesh.Rendering;

/// <summary>
/// Writes JSON trees as reviewable YAML: block style, multi-line strings (EDN, PEM) as literal blocks,
/// and quotes exactly where a plain scalar would read back as another type.
/// </summary>
public static partial class YamlText
{
    public static string Write(JsonNode? node) => WriteAll([node]);

    public static string WriteAll(IEnumerable<JsonNode?> documents)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, indentSequences: false));
        emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            Emit(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, true, obj.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            case JsonValue value:
                // Numbers and booleans as JSON writes them.
                emitter.Emit(new Scalar(null, null, value.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string value)
    {
        var style = value.Contains('\n', StringComparison.Ordinal) ? ScalarStyle.Literal
            : NeedsQuotes(value) ? ScalarStyle.DoubleQuoted
            : ScalarStyle.Plain;
        emitter.Emit(new Scalar(null, null, value, style, true, style != ScalarStyle.Plain));
    }

    private static bool NeedsQuotes(string value) =>
        value.Length == 0 || Ambiguous().IsMatch(value) || !SafePlain().IsMatch(value) || value.EndsWith(' ') || value.StartsWith(' ');

    /// <summary>Plain scalars a YAML 1.1 or 1.2 reader would take as null, a boolean or a number.</summary>
    [GeneratedRegex(@"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex Ambiguous();

    /// <summary>Characters that never need quoting in a plain scalar (and no ': ' or ' #' sequences).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_./(<$][A-Za-z0-9_./:@=+,()<>$*%-]*$")]
    private static partial Regex SafePlain();
}
