namespace Infra.Cli.Tests.Support;

/// <summary>A scratch directory for renders, removed afterwards; <see cref="Path"/> itself does not exist until written.</summary>
public sealed class TempDirectory : IDisposable
{
    private readonly string _root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "infra-cli-tests-" + Guid.NewGuid().ToString("N"));

    public TempDirectory() => Directory.CreateDirectory(_root);

    /// <summary>The directory a test renders into (inside a private parent, so sibling staging directories are visible).</summary>
    public string Path => System.IO.Path.Combine(_root, "out");

    /// <summary>Everything in the private parent besides the output directory (staging or previous renders left behind).</summary>
    public IReadOnlyList<string> Siblings =>
        [.. Directory.EnumerateFileSystemEntries(_root).Select(System.IO.Path.GetFileName).OfType<string>().Where(n => n != "out")];

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
