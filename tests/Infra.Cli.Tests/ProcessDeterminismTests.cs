using System.Diagnostics;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

/// <summary>
/// .NET randomizes string hashing per process, so hash-ordered collections render in a different order in every run.
/// Two renders in one process cannot catch that; two processes can.
/// </summary>
public class ProcessDeterminismTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    [InlineData("dev-linkerd")]
    public void Renders_from_two_separate_processes_are_byte_identical(string stack)
    {
        var root = Path.Combine(Path.GetTempPath(), "infra-process-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = Render(stack, Path.Combine(root, "first"));
            var second = Render(stack, Path.Combine(root, "second"));

            Assert.Equal(first.Keys.Order(StringComparer.Ordinal), second.Keys.Order(StringComparer.Ordinal));
            Assert.All(first, file => Assert.True(file.Value == second[file.Key], $"{file.Key} differs between two runs"));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static Dictionary<string, string> Render(string stack, string output)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "infra.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { cli, "render", stack, "--project", Stacks.ProjectDirectory, "--out", output },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return Directory.GetFiles(output, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(output, f), File.ReadAllText);
    }
}
