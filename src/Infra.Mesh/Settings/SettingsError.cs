namespace Infra.Mesh.Settings;

/// <summary>One problem with a stack's settings: which file, which key, what was wrong and what is allowed.</summary>
public sealed record SettingsError(string File, string Key, string Message, int? Line = null)
{
    public override string ToString() =>
        Line is { } line ? $"{File}:{line}: {Key}: {Message}" : $"{File}: {Key}: {Message}";
}

/// <summary>All problems found in a stack's settings, reported together.</summary>
public sealed class SettingsException : Exception
{
    public SettingsException(IReadOnlyList<SettingsError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public SettingsException() : this([]) { }

    public SettingsException(string message) : base(message) => Errors = [];

    public SettingsException(string message, Exception innerException) : base(message, innerException) => Errors = [];

    public IReadOnlyList<SettingsError> Errors { get; }

    /// <summary>
    /// Checks that could not run because of these errors (each names the rule codes and why), so a user knows more
    /// may follow once they are fixed; empty when every check ran.
    /// </summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];
}
