namespace Infra.Testing.Support;

/// <summary>
/// A scratch copy of a project's Pulumi files (by default the fixture's, <see cref="Stacks.ProjectDirectory"/>) in a
/// temp directory, so a test can break one key of a stack file and see what the tools say.
/// </summary>
public sealed class StackFiles : IDisposable
{
    public StackFiles(string? projectDirectory = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "infra-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var file in System.IO.Directory.GetFiles(projectDirectory ?? Stacks.ProjectDirectory, "Pulumi*.yaml"))
        {
            File.Copy(file, Path.Combine(Directory, Path.GetFileName(file)));
        }
    }

    public string Directory { get; }

    public string PathOf(string file) => Path.Combine(Directory, file);

    public string Read(string file) => File.ReadAllText(PathOf(file));

    public void Write(string file, string content) => File.WriteAllText(PathOf(file), content);

    /// <summary>Replaces one exact piece of a file; fails the test if the piece is not there (so fixtures cannot rot silently).</summary>
    public void Replace(string file, string oldText, string newText)
    {
        var content = Read(file);
        if (!content.Contains(oldText, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{file} does not contain '{oldText}'");
        }

        Write(file, content.Replace(oldText, newText, StringComparison.Ordinal));
    }

    /// <summary>Loads a stack of the copy as every tool does: settings, semantic rules, plan (throws <see cref="Infra.Mesh.Settings.SettingsException"/> on errors).</summary>
    public Infra.Mesh.Analysis.StackAnalysis Analyze(string stack) =>
        Infra.Mesh.Analysis.StackAnalyzer.Load(Infra.Mesh.Settings.ProjectConfigFiles.Load(Directory, stack));

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
