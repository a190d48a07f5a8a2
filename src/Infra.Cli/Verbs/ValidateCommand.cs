using System.CommandLine;
using System.Text.Json.Nodes;
using Infra.Mesh.Settings;

namespace Infra.Cli.Verbs;

/// <summary><c>infra validate STACK</c>: settings and plan checked, nothing written; 0 when valid, 2 with every problem.</summary>
public static class ValidateCommand
{
    public static Command Create(CliContext cli)
    {
        var stack = CliContext.StackArgument();
        var project = CliContext.ProjectOption();
        var format = CliContext.FormatOption();
        var validate = new Command("validate", "Check a stack's settings and plan without writing anything. Exit code 0 when valid, 2 with every problem listed.")
        {
            stack, project, format,
        };
        validate.SetAction(parse => Run(cli, parse.GetValue(stack)!, parse.GetValue(project), CliContext.IsJson(parse, format)));
        return validate;
    }

    private static int Run(CliContext cli, string stack, DirectoryInfo? project, bool json)
    {
        var loaded = CliContext.Load(stack, project);
        if (loaded.Plan is not { } plan)
        {
            return cli.Report(stack, loaded, json);
        }

        if (json)
        {
            cli.Out.WriteLine(new JsonObject
            {
                ["stack"] = stack,
                ["valid"] = true,
                ["summary"] = CliContext.Summary(plan),
                // What `pulumi config set --secret` must set before a preview (scripts such as .ci/e2e read it).
                ["secretConfigKeys"] = new JsonArray([.. plan.Settings.SecretConfigKeys.Select(k => (JsonNode)$"{ProjectConfigFiles.Namespace}:{k}")]),
                ["kubernetesContext"] = plan.Settings.Kubernetes.Context,
                ["warnings"] = new JsonArray([.. loaded.Warnings.Select(w => (JsonNode)FindingJson.Of(w))]),
            }.ToJsonString(CliContext.Indented));
        }
        else
        {
            cli.Out.WriteLine($"{plan.Settings.StackFile}: valid ({CliContext.Describe(plan)}, {plan.Settings.Services.Length} services, {plan.Items.Count()} plan items)");
            cli.WriteWarnings(loaded.Warnings);
        }

        return InfraCommand.Ok;
    }
}
