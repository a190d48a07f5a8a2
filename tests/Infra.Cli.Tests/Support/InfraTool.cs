using System.Globalization;

namespace Infra.Cli.Tests.Support;

/// <summary>What one run of the tool did.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the tool in process, as <c>infra ARGS</c> would from a shell.</summary>
public static class InfraTool
{
    public static CliRun Run(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var exitCode = InfraCommand.Run(args, stdout, stderr);
        return new CliRun(exitCode, stdout.ToString(), stderr.ToString());
    }
}
