using Infra.Mesh.Rendering;

namespace Infra.Cli;

/// <summary>
/// Replaces an output directory as a whole: files are written to a sibling staging directory first and swapped in
/// with renames, so a failed or interrupted render never leaves a half-written directory behind.
/// </summary>
public static class OutputDirectory
{
    public static void Replace(string directory, IEnumerable<RenderedFile> files)
    {
        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target) ?? throw new IOException($"{target} has no parent directory");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        var previous = Path.Combine(parent, $".{Path.GetFileName(target)}.previous-{Guid.NewGuid():N}");
        try
        {
            foreach (var file in files)
            {
                var path = Path.Combine(staging, file.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, file.Content);
            }

            Directory.CreateDirectory(staging);
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
}
