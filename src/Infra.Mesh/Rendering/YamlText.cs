using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Infra.Mesh.Planning;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Infra.Mesh.Rendering;

/// <summary>
/// Writes JSON trees as reviewable YAML: block style, multi-line strings (EDN, PEM) as literal blocks,
/// and quotes exactly where a plain scalar would read back as another type.
/// </summary>
/// <remarks>
/// YamlDotNet's <see cref="Emitter"/> defines the output. A direct writer produces the same bytes for everything a
/// plan normally holds (ASCII text; plain, double-quoted and literal scalars; block mappings and sequences) several
/// times faster, which a render of thousands of services needs. A stream with anything beyond that (other
/// characters, keys that are not simple, nested sequences, ...) goes through the emitter as a whole.
/// </remarks>
public static partial class YamlText
{
    public static string Write(JsonNode? node) => WriteAll([node]).ToString();

    /// <summary>Each tree as one YAML document (<c>---</c>), in order.</summary>
    public static Utf8Text WriteAll(IEnumerable<JsonNode?> documents) => WriteAll([.. documents.Select(Utf8)]);

    /// <summary>Each UTF-8 JSON text (an object or array; see <see cref="ManifestItem.Utf8"/>) as one YAML document, in order, as UTF-8.</summary>
    public static Utf8Text WriteAll(IReadOnlyList<ReadOnlyMemory<byte>> documents) =>
        DirectWriter.TryWrite(documents) is { } parts ? new Utf8Text(parts) : Utf8Text.Of(Emitted(documents.Select(d => JsonNode.Parse(d.Span))));

    /// <summary>The documents written directly, byte for byte as <see cref="Emitted"/>; null when one needs the emitter.</summary>
    public static string? WriteDirect(IReadOnlyList<JsonNode?> documents) =>
        DirectWriter.TryWrite([.. documents.Select(Utf8)]) is { } parts ? new Utf8Text(parts).ToString() : null;

    private static ReadOnlyMemory<byte> Utf8(JsonNode? node) => ObjectJson.Utf8(node);

    /// <summary>The documents through YamlDotNet's emitter: the reference output, for any tree.</summary>
    public static string Emitted(IEnumerable<JsonNode?> documents)
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

    /// <summary>Whether a one-line string must be quoted: the definition, by the two regexes (the emitter's path).</summary>
    private static bool NeedsQuotes(string value) =>
        value.Length == 0 || Ambiguous().IsMatch(value) || !SafePlain().IsMatch(value) || value.EndsWith(' ') || value.StartsWith(' ');

    /// <summary>
    /// <see cref="NeedsQuotes"/> for the direct writer, which asks it for every key and value: the regexes run only
    /// when a cheaper check cannot decide. A string that starts with a letter can match <see cref="Ambiguous"/> only as
    /// one of its words (<see cref="AmbiguousWords"/>: numbers start with a digit, sign or dot), unless it ends with a
    /// line break (.NET's <c>$</c> also matches before a final one), and one that starts with another character only
    /// when that is one of <see cref="AmbiguousFirst"/>; <see cref="SafePlain"/> is the two character sets,
    /// checked with <see cref="SearchValues"/>, apart from the same final line break.
    /// </summary>
    private static bool NeedsQuotesQuick(ReadOnlySpan<char> value)
    {
        if (value.Length == 0)
        {
            return true;
        }

        var finalBreak = value[^1] == '\n';
        var ambiguous = char.IsAsciiLetter(value[0])
            ? (finalBreak ? Ambiguous().IsMatch(value) : value.Length <= 5 && AmbiguousWord.Contains(value))
            : AmbiguousFirst.Contains(value[0]) && Ambiguous().IsMatch(value);
        var safe = (SafePlainFirst.Contains(value[0]) && !value[1..].ContainsAnyExcept(SafePlainRest)) || (finalBreak && SafePlain().IsMatch(value));
        return ambiguous || !safe || value.EndsWith(' ') || value.StartsWith(' ');
    }

    /// <summary>
    /// The first characters of <see cref="Ambiguous"/>'s alternatives other than its words: <c>~</c>, a sign, a dot or a
    /// digit (a path such as <c>/metrics</c> never needs the regex).
    /// </summary>
    private static readonly SearchValues<char> AmbiguousFirst = SearchValues.Create("~+-.0123456789");

    /// <summary>The words among <see cref="Ambiguous"/>'s alternatives: YAML 1.1's null and booleans.</summary>
    private static readonly FrozenSet<string> AmbiguousWords = FrozenSet.Create(
        StringComparer.Ordinal,
        "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N");

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> AmbiguousWord = AmbiguousWords.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly SearchValues<char> SafePlainFirst =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./(<$");

    private static readonly SearchValues<char> SafePlainRest =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@=+,()<>$*%-");

    /// <summary>The emitter's output for trees within the subset described on <see cref="YamlText"/>, written directly.</summary>
    private sealed class DirectWriter
    {
        /// <summary>YamlDotNet writes longer keys as complex keys (<c>? key</c>); far beyond any key of a plan.</summary>
        private const int MaxSimpleKeyLength = 128;

        /// <summary>Documents per part written in parallel: large enough that a part's cost dwarfs scheduling it.</summary>
        private const int PartSize = 512;

        private readonly AsciiBuffer _yaml;

        /// <summary>Characters of the key, string or number being written (a render has millions; none becomes a string).</summary>
        private char[] _scratch = new char[256];

        private DirectWriter(int capacity) => _yaml = new AsciiBuffer(capacity);

        /// <summary>
        /// The YAML as UTF-8 in parts, or null when a document holds something only the emitter writes. Each document's
        /// text depends on the document alone, so parts of a long stream are written on every core, to be written out
        /// in order.
        /// </summary>
        public static ReadOnlyMemory<byte>[]? TryWrite(IReadOnlyList<ReadOnlyMemory<byte>> documents)
        {
            var parts = new ReadOnlyMemory<byte>?[(documents.Count + PartSize - 1) / PartSize];
            InOrder.For(parts.Length, part =>
                parts[part] = TryWrite(documents, part * PartSize, Math.Min(documents.Count, (part + 1) * PartSize)));
            return parts.Any(part => part is null) ? null : [.. parts.Select(part => part!.Value)];
        }

        private static ReadOnlyMemory<byte>? TryWrite(IReadOnlyList<ReadOnlyMemory<byte>> documents, int start, int end)
        {
            // A plan's YAML is about as long as its JSON (about 8 % longer for a synthetic catalog): sized once, rarely grown.
            var json = 0L;
            for (var i = start; i < end; i++)
            {
                json += documents[i].Length;
            }

            var writer = new DirectWriter((int)Math.Min(Array.MaxLength, (json * 5 / 4) + 1024));
            for (var i = start; i < end; i++)
            {
                // Read as a stream of tokens: no document object per JSON text, no node per value.
                var reader = new Utf8JsonReader(documents[i].Span);
                if (!writer.Document(ref reader))
                {
                    return null;
                }
            }

            return writer._yaml.Written;
        }

        /// <summary>A document of a mapping or a sequence (scalar documents are left to the emitter).</summary>
        private bool Document(ref Utf8JsonReader reader)
        {
            if (!reader.Read())
            {
                return false;
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when IsEmpty(reader):
                    _yaml.Append("--- {}\n"u8);
                    return true;
                case JsonTokenType.StartArray when IsEmpty(reader):
                    _yaml.Append("--- []\n"u8);
                    return true;
                case JsonTokenType.StartObject:
                    return Append("---\n"u8).Mapping(ref reader, 0, inline: false);
                case JsonTokenType.StartArray:
                    return Append("---\n"u8).Sequence(ref reader, 0);
                default:
                    return false;
            }
        }

        /// <summary>Whether the object or array the reader has just started ends at once (looks ahead on a copy).</summary>
        private static bool IsEmpty(Utf8JsonReader copy) =>
            copy.Read() && copy.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray;

        private DirectWriter Append(ReadOnlySpan<byte> text)
        {
            _yaml.Append(text);
            return this;
        }

        /// <summary>
        /// The text of the current string or property name: plain ASCII without escapes, the common case, is copied to
        /// the scratch buffer (valid until the next call); anything else is decoded.
        /// </summary>
        private ReadOnlySpan<char> Text(ref Utf8JsonReader reader) =>
            reader.ValueIsEscaped || !Ascii.IsValid(reader.ValueSpan) ? reader.GetString() : Scratch(reader.ValueSpan);

        private ReadOnlySpan<char> Scratch(ReadOnlySpan<byte> ascii)
        {
            if (_scratch.Length < ascii.Length)
            {
                _scratch = new char[Math.Max(ascii.Length, _scratch.Length * 2)];
            }

            Ascii.ToUtf16(ascii, _scratch, out var written);
            return _scratch.AsSpan(0, written);
        }

        /// <summary>
        /// Keys at <paramref name="indent"/> until the object's end; with <paramref name="inline"/> the first key follows a
        /// sequence's "- ".
        /// </summary>
        private bool Mapping(ref Utf8JsonReader reader, int indent, bool inline)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!inline)
                {
                    _yaml.Append(' ', indent);
                }

                inline = false;
                var key = Text(ref reader);
                if (key.Length > MaxSimpleKeyLength || !Inline(key))
                {
                    return false;
                }

                _yaml.Append(':');
                reader.Read();
                var written = reader.TokenType switch
                {
                    JsonTokenType.StartObject when !IsEmpty(reader) => Append("\n"u8).Mapping(ref reader, indent + 2, inline: false),
                    // Sequences are not indented below their key (EmitterSettings.IndentSequences is off).
                    JsonTokenType.StartArray when !IsEmpty(reader) => Append("\n"u8).Sequence(ref reader, indent),
                    _ => Append(" "u8).ValueAfterIndicator(ref reader, indent),
                };
                if (!written)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Items at <paramref name="indent"/> until the array's end.</summary>
        private bool Sequence(ref Utf8JsonReader reader, int indent)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                _yaml.Append(' ', indent).Append("- "u8);
                var written = reader.TokenType switch
                {
                    JsonTokenType.StartObject when !IsEmpty(reader) => Mapping(ref reader, indent + 2, inline: true),
                    JsonTokenType.StartArray when !IsEmpty(reader) => false, // "- - item": left to the emitter
                    _ => ValueAfterIndicator(ref reader, indent),
                };
                if (!written)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A scalar or empty collection after "key: " or "- "; block scalar lines go two deeper than <paramref name="indent"/>.</summary>
        private bool ValueAfterIndicator(ref Utf8JsonReader reader, int indent)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    var text = Text(ref reader);
                    if (!(text.Contains('\n') ? Literal(text.ToString(), indent + 2) : Inline(text)))
                    {
                        return false;
                    }

                    break;
                case JsonTokenType.StartObject:
                    reader.Read(); // the empty object's end
                    _yaml.Append("{}"u8);
                    break;
                case JsonTokenType.StartArray:
                    reader.Read();
                    _yaml.Append("[]"u8);
                    break;
                case JsonTokenType.Null:
                    _yaml.Append("null"u8);
                    break;
                case JsonTokenType.True:
                    _yaml.Append("true"u8);
                    break;
                case JsonTokenType.False:
                    _yaml.Append("false"u8);
                    break;
                default:
                    _yaml.Append(reader.ValueSpan); // numbers as JSON writes them
                    break;
            }

            _yaml.Append('\n');
            return true;
        }

        /// <summary>A one-line string: plain when it reads back as itself, else double-quoted.</summary>
        private bool Inline(ReadOnlySpan<char> text)
        {
            if (text.Contains('\n'))
            {
                return false; // a line break in a key: the emitter writes a complex key
            }

            if (!NeedsQuotesQuick(text))
            {
                // The emitter single-quotes these despite the plain style asked for: a trailing ':' reads as a
                // mapping indicator, a leading '...' as a document end.
                if (text.EndsWith(':') || text.StartsWith("...", StringComparison.Ordinal))
                {
                    return false;
                }

                _yaml.Append(text);
                return true;
            }

            if (!IsPrintableAscii(text, breaks: false))
            {
                return false;
            }

            _yaml.Append('"');
            foreach (var character in text)
            {
                if (character is '"' or '\\')
                {
                    _yaml.Append('\\');
                }

                _yaml.Append(character);
            }

            _yaml.Append('"');
            return true;
        }

        /// <summary>
        /// A literal block (<c>|</c>, chomping <c>-</c> without a final line break, <c>+</c> with more than one, an
        /// indentation indicator when the text starts with a space or break), its lines at <paramref name="indent"/>.
        /// </summary>
        private bool Literal(string text, int indent)
        {
            if (!IsPrintableAscii(text, breaks: true) || text.EndsWith(' ') || HasLineOfSpaces(text))
            {
                return false; // the emitter double-quotes these
            }

            _yaml.Append('|');
            if (text[0] is ' ' or '\n')
            {
                _yaml.Append('2');
            }

            if (!text.EndsWith('\n'))
            {
                _yaml.Append('-');
            }
            else if (text.Length >= 2 && text[^2] == '\n')
            {
                _yaml.Append('+');
            }

            _yaml.Append('\n');
            var start = 0;
            while (start < text.Length)
            {
                var end = text.IndexOf('\n', start);
                var line = end < 0 ? text.AsSpan(start) : text.AsSpan(start, end - start);
                if (line.Length > 0)
                {
                    _yaml.Append(' ', indent).Append(line);
                }

                if (end < 0)
                {
                    break;
                }

                _yaml.Append('\n');
                start = end + 1;
            }

            // The caller ends the value with a line break, which a text ending in one has written already.
            if (text.EndsWith('\n'))
            {
                _yaml.RemoveLast();
            }

            return true;
        }

        /// <summary>Printable ASCII, and with <paramref name="breaks"/> line breaks.</summary>
        private static bool IsPrintableAscii(ReadOnlySpan<char> text, bool breaks)
        {
            foreach (var character in text)
            {
                if ((character < ' ' && !(breaks && character == '\n')) || character > '~')
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A line of nothing but spaces before a line break, which a literal block cannot keep.</summary>
        private static bool HasLineOfSpaces(string text)
        {
            var lineStart = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '\n')
                {
                    if (i > lineStart && text.AsSpan(lineStart, i - lineStart).TrimStart(' ').IsEmpty)
                    {
                        return true;
                    }

                    lineStart = i + 1;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The direct writer's output: what it writes is ASCII by construction (it leaves anything else to the emitter), so
    /// characters become bytes one for one and the YAML is never held as a string.
    /// </summary>
    private sealed class AsciiBuffer(int capacity)
    {
        private byte[] _bytes = new byte[capacity];
        private int _length;

        public ReadOnlyMemory<byte> Written => _bytes.AsMemory(0, _length);

        public AsciiBuffer Append(ReadOnlySpan<byte> ascii)
        {
            ascii.CopyTo(Room(ascii.Length));
            _length += ascii.Length;
            return this;
        }

        public AsciiBuffer Append(ReadOnlySpan<char> ascii)
        {
            if (Ascii.FromUtf16(ascii, Room(ascii.Length), out var written) != OperationStatus.Done)
            {
                throw NotAscii();
            }

            _length += written;
            return this;
        }

        public AsciiBuffer Append(char ascii) => Append(ascii, 1);

        public AsciiBuffer Append(char ascii, int count)
        {
            // Not a checked cast: 'é' fits in a byte but is not the UTF-8 of 'é'.
            if (!char.IsAscii(ascii))
            {
                throw NotAscii();
            }

            Room(count)[..count].Fill((byte)ascii);
            _length += count;
            return this;
        }

        private static InvalidOperationException NotAscii() => new("The direct YAML writer was given text that is not ASCII.");

        public void RemoveLast() => _length--;

        private Span<byte> Room(int count)
        {
            if (_bytes.Length - _length < count)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + count));
            }

            return _bytes.AsSpan(_length);
        }
    }

    /// <summary>Plain scalars a YAML 1.1 or 1.2 reader would take as null, a boolean or a number.</summary>
    [GeneratedRegex(@"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex Ambiguous();

    /// <summary>Characters that never need quoting in a plain scalar (and no ': ' or ' #' sequences).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_./(<$][A-Za-z0-9_./:@=+,()<>$*%-]*$")]
    private static partial Regex SafePlain();
}
