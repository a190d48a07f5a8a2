using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Settings;

/// <summary>
/// How catalog YAML under <c>config.edn</c> reads as EDN, where validation and the writer (<c>Workloads.Edn</c>) must
/// agree: which keys and strings are keywords, and which plain scalars are floats.
/// </summary>
public static partial class EdnSyntax
{
    /// <summary>
    /// The EDN key a YAML mapping key becomes: a keyword when the key is keyword-shaped with or without its colon
    /// (<c>pool-size</c> and <c>:pool-size</c> are both <c>:pool-size</c>, as keyword values are recognised by their
    /// text), else a string (returned unquoted; the writer quotes it).
    /// </summary>
    public static string? KeywordKey(string key) =>
        IsKeyword(key) ? key : IsKeyword(":" + key) ? ":" + key : null;

    /// <summary>A keyword as EDN defines it: <c>:</c> and a symbol, optionally namespaced (<c>:db/pool-size</c>).</summary>
    public static bool IsKeyword(string text) => Keyword().IsMatch(text);

    /// <summary>A YAML 1.2 core-schema float written as digits (integers are matched first); <c>.inf</c> and <c>.nan</c> apart.</summary>
    public static bool IsFloatLiteral(string text) => FloatNumber().IsMatch(text);

    /// <summary>
    /// A plain scalar written as a finite number that a double cannot hold (<c>1e400</c>): it would become infinity, which
    /// is never what a digit string meant (YAML spells infinity <c>.inf</c>).
    /// </summary>
    public static bool Overflows(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any
        && (scalar.Tag.IsEmpty || scalar.Tag.Value != "tag:yaml.org,2002:str")
        && scalar.Value is { } value
        && IsFloatLiteral(value)
        && double.IsInfinity(double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>A part starting with '+' or '-' must not go on with a digit (it would read as a number).</summary>
    [GeneratedRegex(@"^:(?![-+][0-9])[A-Za-z*+!_?<>=-][A-Za-z0-9*+!_?<>=.-]*(/(?![-+][0-9])[A-Za-z*+!_?<>=-][A-Za-z0-9*+!_?<>=.-]*)?$")]
    private static partial Regex Keyword();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatNumber();
}
