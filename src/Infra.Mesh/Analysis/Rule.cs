namespace Infra.Mesh.Analysis;

/// <summary>How a finding affects a run: errors stop validate, render, analyze and <c>pulumi up</c> (exit 2); warnings are printed only.</summary>
public enum Severity
{
    Error,
    Warning,

    /// <summary>Information for a review (what is public), never a problem.</summary>
    Note,
}

/// <summary>The meshes a rule applies to.</summary>
[Flags]
public enum RuleMeshes
{
    Istio = 1,
    Linkerd = 2,
    Both = Istio | Linkerd,
}

/// <summary>
/// A semantic rule: something the settings' schema accepts but the chosen mesh cannot carry out at run time.
/// Numbered like <c>istioctl analyze</c> messages (IST0101...) so a code stays the same across releases and can be
/// promoted or looked up: <c>INFRA1xx</c>, grouped by <paramref name="Kind"/>.
/// </summary>
/// <param name="Code">Stable code, <c>INFRA</c> and three digits.</param>
/// <param name="Kind">The kind of mistake (identity, protocol, names, ...), the README table's grouping.</param>
/// <param name="Title">One line saying what is wrong.</param>
/// <param name="Severity">The severity outside prod, or everywhere when <paramref name="ErrorInProd"/> is false.</param>
/// <param name="Meshes">The meshes the rule applies to.</param>
/// <param name="ErrorInProd">A warning that prod stacks treat as an error, because there it breaks a deploy or opens a hole.</param>
public sealed record Rule(string Code, string Kind, string Title, Severity Severity, RuleMeshes Meshes, bool ErrorInProd = false)
{
}

/// <summary>One rule's finding at a place in the stack's files.</summary>
/// <param name="Severity">The effective severity (after prod's and the stack's promotions).</param>
/// <param name="Key">The config key path, as settings errors name it: <c>infra:services[orders].calls[catalog]</c>.</param>
/// <param name="Message">What is wrong, with the value, and what to do instead.</param>
public sealed record Finding(Rule Rule, Severity Severity, string File, string Key, int? Line, string Message)
{
    /// <summary>The finding as a settings error: the message carries the rule's code, so users can look it up in the README.</summary>
    public Settings.SettingsError ToSettingsError() => new(File, Key, $"{Rule.Code}: {Message}", Line);

    public override string ToString() =>
        $"{File}{(Line is { } line ? $":{line}" : "")}: {Severity.ToString().ToLowerInvariant()} {Rule.Code}: {Key}: {Message}";
}
