using System.Text.RegularExpressions;
using Infra.Mesh.Rendering;

namespace Infra.Cli;

/// <summary>
/// Replaces an output directory as a whole: files are written to a sibling staging directory first and swapped in
/// with renames, so a failed or interrupted render never leaves a half-written directory behind. Only an empty
/// directory or an earlier render is ever replaced (a mistyped <c>--out .</c> must not delete a repository).
/// </summary>
public static partial class OutputDirectory
{
    public static void Replace(string directory, IEnumerable<RenderedFile> files)
    {
        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target) ?? throw new NotARenderException($"{target} is a file system root; pass --out DIR");
        EnsureReplaceable(target);
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        var previous = Path.Combine(parent, $".{Path.GetFileName(target)}.previous-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            foreach (var file in files)
            {
                var path = Path.Combine(staging, file.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var stream = File.Create(path);
                file.Content.WriteTo(stream);
            }

            if (Directory.Exists(target))
            {
                Directory.Move(target, previous);
            }

            Directory.Move(staging, target);
        }
        catch
        {
            if (!Directory.Exists(target) && Directory.Exists(previous))
            {
                Directory.Move(previous, target);
            }

            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }

        if (Directory.Exists(previous))
        {
            Directory.Delete(previous, recursive: true);
        }
    }

    /// <summary>Refuses a path that is a file, or a directory holding anything a render does not write.</summary>
    private static void EnsureReplaceable(string target)
    {
        if (File.Exists(target))
        {
            throw new NotARenderException($"{target} is a file; pass a directory to --out");
        }

        if (!Directory.Exists(target))
        {
            return;
        }

        var foreign = Directory.EnumerateFileSystemEntries(target)
            .Select(Path.GetFileName)
            .Where(name => !(name == PlanRenderer.PlanDocument
                ? File.Exists(Path.Combine(target, name))
                : StageFolder().IsMatch(name!) && Directory.Exists(Path.Combine(target, name!))))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (foreign.Count > 0)
        {
            throw new NotARenderException(
                $"{target} is not an earlier render (it holds {string.Join(", ", foreign.Take(3))}{(foreign.Count > 3 ? ", ..." : "")}); refusing to replace it. Pass --out with an empty or new directory");
        }
    }

    [GeneratedRegex("^[0-9]{2}-[a-z0-9-]+$")]
    private static partial Regex StageFolder();
}

/// <summary>The output path cannot be replaced by a render without destroying something else: bad input.</summary>
public sealed class NotARenderException : Exception
{
    public NotARenderException() { }

    public NotARenderException(string message) : base(message) { }

    public NotARenderException(string message, Exception innerException) : base(message, innerException) { }
}
