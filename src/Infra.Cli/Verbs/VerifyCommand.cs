using System.CommandLine;
using System.Text.Json.Nodes;
using Infra.Cli.Verify;
using Infra.Kubeconfig;
using Infra.Mesh.Planning;
using k8s;

namespace Infra.Cli.Verbs;

/// <summary>
/// <c>infra verify STACK</c>: compares the stack's cluster (<c>--context</c>, else the stack's
/// <c>infra:kubernetes.context</c>, else the kubeconfig's current context) with the stack's
/// plan (<see cref="ClusterVerifier"/>) and prints a table, or JSON. Exit 0 when everything is as planned, 1 with
/// findings, 2 when the stack is invalid or the cluster cannot be asked (no kubeconfig, unknown context, unreachable,
/// unauthorized) — a message, never a stack trace.
/// </summary>
public static class VerifyCommand
{
    /// <summary>How long the whole comparison may take before the cluster counts as unreachable.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static Command Create(CliContext cli)
    {
        var stack = CliContext.StackArgument();
        var project = CliContext.ProjectOption();
        var format = CliContext.FormatOption();
        var context = new Option<string?>("--context") { Description = "The kubeconfig context of the stack's cluster (default: the stack's infra:kubernetes.context, else the kubeconfig's current context)." };
        var kubeconfig = new Option<FileInfo?>("--kubeconfig") { Description = "The kubeconfig file (default: the first file of $KUBECONFIG, else ~/.kube/config)." };
        var verify = new Command("verify", "Compare a live cluster with a stack's plan: the control plane ready at the planned version, every workload pod with a "
            + "ready proxy of that version, every policy object as planned (field by field), the verification Jobs' results. "
            + "Exit code 0 when all is as planned, 1 with findings, 2 for bad input or an unreachable cluster.")
        {
            stack, project, context, kubeconfig, format,
        };
        verify.SetAction(parse => Run(cli, parse.GetValue(stack)!, parse.GetValue(project), parse.GetValue(kubeconfig)?.FullName, parse.GetValue(context),
            CliContext.IsJson(parse, format)));
        return verify;
    }

    private static int Run(CliContext cli, string stack, DirectoryInfo? project, string? kubeconfig, string? context, bool json)
    {
        var loaded = CliContext.Load(stack, project);
        if (loaded.Plan is not { } plan)
        {
            return cli.Report(stack, loaded, json);
        }

        // The same cluster `pulumi up` of this stack writes to (README "Kubeconfig per stack").
        context ??= plan.Settings.Kubernetes.Context;
        IReadOnlyList<VerifyRow> rows;
        KubernetesClientConfiguration config;
        string contextName;
        try
        {
            (config, contextName) = KubeconfigLoader.Load(kubeconfig, context);
        }
        catch (KubeconfigException e)
        {
            return Unavailable(cli, stack, context, null, e.Message, json);
        }

        try
        {
            using var client = KubeconfigLoader.Client(config, contextName);
            using var timeout = new CancellationTokenSource(Timeout);
            rows = new ClusterVerifier(client, plan).RunAsync(timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is ClusterUnavailableException or KubeconfigException)
        {
            return Unavailable(cli, stack, contextName, config.Host, e.Message, json);
        }
        catch (OperationCanceledException)
        {
            return Unavailable(cli, stack, contextName, config.Host, $"no answer within {Timeout.TotalMinutes} minutes", json);
        }

        var findings = rows.Count(r => !r.Ok);
        if (json)
        {
            cli.Out.WriteLine(new JsonObject
            {
                ["stack"] = stack,
                ["context"] = contextName,
                ["server"] = config.Host,
                ["healthy"] = findings == 0,
                ["findings"] = findings,
                ["checks"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
                {
                    ["area"] = r.Area,
                    ["subject"] = r.Subject,
                    ["ok"] = r.Ok,
                    ["details"] = new JsonArray([.. r.Details.Select(d => (JsonNode)d)]),
                })]),
            }.ToJsonString(CliContext.Indented));
        }
        else
        {
            WriteTable(cli.Out, plan, stack, contextName, rows);
        }

        return findings == 0 ? InfraCommand.Ok : InfraCommand.Failed;
    }

    /// <summary>The cluster cannot be asked: one line on standard error (and the same as JSON), exit code 2.</summary>
    private static int Unavailable(CliContext cli, string stack, string? context, string? server, string reason, bool json)
    {
        var where = context is null ? "" : $" on context '{context}'" + (server is null ? "" : $" ({server})");
        cli.Error.WriteLine($"error: cannot verify stack '{stack}'{where}: {reason}");
        if (json)
        {
            cli.Out.WriteLine(new JsonObject
            {
                ["stack"] = stack,
                ["context"] = context,
                ["server"] = server,
                ["healthy"] = false,
                ["error"] = reason,
            }.ToJsonString(CliContext.Indented));
        }

        return InfraCommand.BadInput;
    }

    private static void WriteTable(TextWriter output, MeshPlan plan, string stack, string context, IReadOnlyList<VerifyRow> rows)
    {
        output.WriteLine($"Stack '{stack}' ({CliContext.Describe(plan)}) on context '{context}':");
        var area = Math.Max("AREA".Length, rows.Select(r => r.Area.Length).DefaultIfEmpty(0).Max());
        var subject = Math.Max("SUBJECT".Length, rows.Select(r => r.Subject.Length).DefaultIfEmpty(0).Max());
        output.WriteLine($"{"AREA".PadRight(area)}  {"SUBJECT".PadRight(subject)}  RESULT");
        foreach (var row in rows)
        {
            output.WriteLine($"{row.Area.PadRight(area)}  {row.Subject.PadRight(subject)}  {(row.Ok ? "ok" : "FAIL")}  {(row.Details.Count > 0 ? row.Details[0] : "")}".TrimEnd());
            foreach (var detail in row.Details.Skip(1))
            {
                output.WriteLine($"{new string(' ', area + subject + 4)}      {detail}");
            }
        }

        var findings = rows.Count(r => !r.Ok);
        output.WriteLine(findings == 0 ? $"All {rows.Count} checks as planned." : $"{findings} of {rows.Count} checks found problems.");
    }
}
