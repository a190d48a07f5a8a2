using System.Globalization;
using System.Numerics;
using System.Text;

namespace Infra.Mesh.Tests.Workloads;

/// <summary>An EDN keyword such as <c>:db/pool-size</c> (the name is without the colon).</summary>
public sealed record EdnKeyword(string Name)
{
    public override string ToString() => ":" + Name;
}

/// <summary>A bare EDN symbol other than nil, true and false.</summary>
public sealed record EdnSymbol(string Name);

/// <summary>An EDN map, in the order written (EDN maps are unordered; the order only helps messages).</summary>
public sealed class EdnMap(IReadOnlyList<KeyValuePair<object?, object?>> entries)
{
    public IReadOnlyList<KeyValuePair<object?, object?>> Entries { get; } = entries;

    public object? this[string keyword] => Entries.Single(e => Equals(e.Key, new EdnKeyword(keyword))).Value;

    public bool Has(object key) => Entries.Any(e => Equals(e.Key, key));
}

/// <summary>An EDN vector <c>[...]</c>.</summary>
public sealed class EdnVector(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;
}

/// <summary>
/// A strict reader for the part of EDN (https://github.com/edn-format/edn) that configuration uses: maps, vectors, lists,
/// strings, keywords, symbols, nil, booleans, integers (with N), floats (with ##Inf/##NaN), comments and commas.
/// Independent of the planner's writer, so a test can prove what the writer emits is EDN a Clojure reader accepts, and
/// what it means. Anything outside that part, or malformed, throws <see cref="FormatException"/>.
/// Values: null, bool, long, BigInteger, double, string, <see cref="EdnKeyword"/>, <see cref="EdnSymbol"/>,
/// <see cref="EdnMap"/>, <see cref="EdnVector"/>, and lists as <see cref="List{T}"/>.
/// </summary>
public sealed class EdnReader
{
    private const string SymbolPunctuation = "*+!-_?<>=.";

    private readonly string _text;
    private int _position;

    private EdnReader(string text) => _text = text;

    /// <summary>Reads exactly one value; only whitespace and comments may follow it.</summary>
    public static object? Read(string text)
    {
        var reader = new EdnReader(text);
        var value = reader.Value();
        reader.SkipBlank();
        if (reader._position < text.Length)
        {
            throw reader.Failure("text after the value");
        }

        return value;
    }

    private object? Value()
    {
        SkipBlank();
        if (_position >= _text.Length)
        {
            throw Failure("expected a value, found the end");
        }

        var c = _text[_position];
        switch (c)
        {
            case '{':
                _position++;
                return Map();
            case '[':
                _position++;
                return new EdnVector(Sequence(']'));
            case '(':
                _position++;
                return Sequence(')');
            case '"':
                _position++;
                return String();
            case ':':
                _position++;
                return new EdnKeyword(SymbolName(Token(), "keyword"));
            case '#':
                return Dispatch();
            case '}' or ']' or ')':
                throw Failure($"unexpected '{c}'");
            default:
                var token = Token();
                return IsNumberStart(token) ? Number(token) : Symbol(SymbolName(token, "symbol"));
        }
    }

    private EdnMap Map()
    {
        var items = Sequence('}');
        if (items.Count % 2 != 0)
        {
            throw Failure("a map needs an even number of forms");
        }

        var entries = new List<KeyValuePair<object?, object?>>();
        for (var i = 0; i < items.Count; i += 2)
        {
            // EDN forbids duplicate keys; Clojure's reader throws on them.
            if (entries.Any(e => Equals(e.Key, items[i])))
            {
                throw Failure($"duplicate map key {items[i]}");
            }

            entries.Add(KeyValuePair.Create(items[i], items[i + 1]));
        }

        return new EdnMap(entries);
    }

    private List<object?> Sequence(char close)
    {
        var items = new List<object?>();
        while (true)
        {
            SkipBlank();
            if (_position >= _text.Length)
            {
                throw Failure($"missing '{close}'");
            }

            if (_text[_position] == close)
            {
                _position++;
                return items;
            }

            items.Add(Value());
        }
    }

    private string String()
    {
        var text = new StringBuilder();
        while (_position < _text.Length)
        {
            var c = _text[_position++];
            if (c == '"')
            {
                return text.ToString();
            }

            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            if (_position >= _text.Length)
            {
                break;
            }

            var escape = _text[_position++];
            text.Append(escape switch
            {
                't' => "\t",
                'r' => "\r",
                'n' => "\n",
                '\\' => "\\",
                '"' => "\"",
                'u' => Unicode(),
                _ => throw Failure($"unsupported escape '\\{escape}'"),
            });
        }

        throw Failure("unterminated string");
    }

    private string Unicode()
    {
        if (_position + 4 > _text.Length
            || !int.TryParse(_text.AsSpan(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            throw Failure("\\u needs four hex digits");
        }

        _position += 4;
        return ((char)code).ToString();
    }

    private double Dispatch()
    {
        var token = Token();
        return token switch
        {
            "##Inf" => double.PositiveInfinity,
            "##-Inf" => double.NegativeInfinity,
            "##NaN" => double.NaN,
            _ => throw Failure($"unsupported dispatch '{token}'"),
        };
    }

    private static bool IsNumberStart(string token) =>
        char.IsAsciiDigit(token[0]) || (token.Length > 1 && token[0] is '+' or '-' && char.IsAsciiDigit(token[1]));

    /// <summary>EDN numbers: no leading zeros (except 0 itself), N for big integers, a fraction and/or exponent for floats.</summary>
    private object Number(string token)
    {
        var body = token.TrimStart('+', '-');
        var digits = body.TakeWhile(char.IsAsciiDigit).Count();
        if (digits > 1 && body[0] == '0')
        {
            throw Failure($"'{token}': an integer other than 0 may not start with 0");
        }

        if (token.EndsWith('N') && digits == body.Length - 1)
        {
            return BigInteger.Parse(token[..^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        if (digits == body.Length)
        {
            return long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? integer
                : throw Failure($"'{token}' does not fit a long; EDN writes such integers with an N suffix");
        }

        var rest = body[digits..];
        var fraction = rest.StartsWith('.') ? 1 + rest[1..].TakeWhile(char.IsAsciiDigit).Count() : 0;
        var exponent = rest[fraction..];
        var validExponent = exponent.Length == 0
            || (exponent[0] is 'e' or 'E' && exponent[1..].TrimStart('+', '-') is { Length: > 0 } e && e.All(char.IsAsciiDigit)
                && exponent.Length - e.Length <= 2);
        if ((fraction == 0 && exponent.Length == 0) || !validExponent)
        {
            throw Failure($"'{token}' is not an EDN number");
        }

        return double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static object? Symbol(string token) => token switch
    {
        "nil" => null,
        "true" => true,
        "false" => false,
        _ => new EdnSymbol(token),
    };

    /// <summary>Checks symbol syntax (also a keyword's name): one optional '/', parts that do not read as numbers.</summary>
    private string SymbolName(string name, string what)
    {
        var parts = name.Split('/');
        if (name.Length == 0 || parts.Length > 2 || parts.Any(p => !ValidSymbolPart(p)))
        {
            throw Failure($"'{name}' is not a valid {what}");
        }

        return name;
    }

    private static bool ValidSymbolPart(string part) =>
        part.Length > 0
        && (char.IsAsciiLetter(part[0]) || SymbolPunctuation.Contains(part[0], StringComparison.Ordinal))
        && !(part.Length > 1 && part[0] is '+' or '-' or '.' && char.IsAsciiDigit(part[1]))
        && part.All(c => char.IsAsciiLetterOrDigit(c) || SymbolPunctuation.Contains(c, StringComparison.Ordinal) || c is '#' or ':');

    /// <summary>Characters up to the next delimiter (whitespace, comma, bracket, quote or comment).</summary>
    private string Token()
    {
        var start = _position;
        while (_position < _text.Length && !IsDelimiter(_text[_position]))
        {
            _position++;
        }

        if (_position == start)
        {
            throw Failure("expected a token");
        }

        var token = _text[start.._position];
        return token[0] is ':' ? throw Failure($"'{token}': '::' is not EDN") : token;
    }

    private static bool IsDelimiter(char c) => char.IsWhiteSpace(c) || c is ',' or '{' or '}' or '[' or ']' or '(' or ')' or '"' or ';';

    private void SkipBlank()
    {
        while (_position < _text.Length)
        {
            var c = _text[_position];
            if (c == ';')
            {
                while (_position < _text.Length && _text[_position] != '\n')
                {
                    _position++;
                }
            }
            else if (char.IsWhiteSpace(c) || c == ',')
            {
                _position++;
            }
            else
            {
                return;
            }
        }
    }

    private FormatException Failure(string message) => new($"EDN at offset {_position}: {message}");
}
