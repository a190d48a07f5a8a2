using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Settings;

/// <summary>Which line an error about a broken key points at.</summary>
public enum ErrorLine
{
    /// <summary>The line where the broken text starts.</summary>
    Replaced,

    /// <summary>Some line: a missing key points at its parent, a duplicate at its second declaration.</summary>
    Elsewhere,

    /// <summary>No line: a top-level key missing from a stack file has none to point at.</summary>
    None,
}

/// <summary>
/// One validation rule broken in a copy of the fixture stack files: where (<see cref="File"/>, <see cref="Old"/> →
/// <see cref="New"/>), and what the error must say: the file and key path, and fragments the message must mention
/// (the bad value and what is allowed).
/// </summary>
public sealed record Breakage(string Rule, string Stack, string File, string Old, string New, string Key, params string[] Mentions)
{
    /// <summary>The file the error names, when it is not the one broken (a service's secret reference lives in the catalog).</summary>
    public string ErrorFile { get; init; } = File;

    public ErrorLine Line { get; init; } = ErrorLine.Replaced;

    public override string ToString() => Rule;

    /// <summary>Applies the break to the stack files; returns every error the loader reports and the 1-based line of the break.</summary>
    public (IReadOnlyList<SettingsError> Errors, int Line) Apply(StackFiles files)
    {
        var content = files.Read(File);
        var at = content.IndexOf(Old, StringComparison.Ordinal);
        files.Replace(File, Old, New);
        var line = content[..at].Count(c => c == '\n') + 1 + New.TakeWhile(c => c == '\n').Count();
        return (Load(files, Stack), line);
    }

    public static IReadOnlyList<SettingsError> Load(StackFiles files, string stack) =>
        Assert.Throws<SettingsException>(() => StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, stack))).Errors;
}
