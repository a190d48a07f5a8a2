using System.CommandLine;
using Infra.Cli.Verbs;

namespace Infra.Cli;

/// <summary>
/// The offline tool: validates and renders a stack's plan to reviewable files with nothing but .NET
/// (no cluster, cloud account or Pulumi CLI); <c>verify</c> alone reads a live cluster. Exit codes: 0 ok, 2 bad input,
/// 1 findings (analyze, verify), differences (diff) or an unexpected failure.
/// Each verb is a class in Verbs/ built on <see cref="CliContext"/>; adding one is a class and a line below.
/// </summary>
public static class InfraCommand
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var cli = new CliContext(stdout, stderr);
        var root = new RootCommand(
            "infra: plans and renders the service mesh (Istio or Linkerd) under the Clojure services, per Pulumi stack, offline.\n"
            + "Examples: infra validate prod | infra render dev --out /tmp/dev | infra diff dev prod | infra analyze prod --format sarif")
        {
            RenderCommand.Create(cli),
            ValidateCommand.Create(cli),
            DiffCommand.Create(cli),
            AnalyzeCommand.Create(cli),
            BenchCommand.Create(cli),
            VerifyCommand.Create(cli),
        };

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine("Run 'infra --help' for usage.");
            return BadInput;
        }

        return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
