using System.Collections.Immutable;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Pulumi;
using Pulumi.Kubernetes;
using Config = Pulumi.Config;

namespace Infra;

/// <summary>
/// The Pulumi stack: reads <c>infra:</c> config, plans the mesh with Infra.Mesh and creates what the plan says.
/// All mesh knowledge lives in the plan; this class only maps it to resources.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A Pulumi Stack, named as Pulumi programs name them.")]
public sealed class MeshStack : Stack
{
    public MeshStack()
    {
        var config = new Config(ProjectConfigFiles.Namespace);
        var plan = Plan = MeshPlanner.Plan(LoadSettings(config));
        var settings = plan.Settings;
        var providerArgs = new ProviderArgs();
        if (settings.Kubernetes.Context is { } context)
        {
            providerArgs.Context = context;
        }

        var provider = new Provider("kubernetes", providerArgs);
        var secrets = new SecretSlots(plan.Secrets, config);
        Created = new PlanResources(plan, provider, secrets).Create();
        GeneratedSecrets = secrets.Created;

        Mesh = Output.Create(settings.Mesh.ToString().ToLowerInvariant());
        Environment = Output.Create(settings.Environment);
        Namespaces = Output.Create(settings.Namespaces);
        Services = Output.Create(settings.Services.Select(s => s.Name).ToImmutableArray());
        PlanSummary = Output.Create(plan.Stages.Where(s => !s.Items.IsEmpty).ToImmutableDictionary(
            s => s.Name,
            s => $"{s.Items.OfType<HelmReleaseItem>().Count()} Helm releases, {s.Items.Count(i => i is not HelmReleaseItem)} objects"));
    }

    /// <summary>The plan this stack applies.</summary>
    public MeshPlan Plan { get; }

    /// <summary>What was created from which plan item, with its options: protection and ordering are checked in tests.</summary>
    public IReadOnlyList<CreatedResource> Created { get; }

    /// <summary>The Pulumi.Random and Pulumi.Tls resources behind the plan's secret slots, with their options.</summary>
    public IReadOnlyList<CreatedResource> GeneratedSecrets { get; }

    [Output("mesh")]
    public Output<string> Mesh { get; private set; }

    [Output("environment")]
    public Output<string> Environment { get; private set; }

    [Output("namespaces")]
    public Output<ImmutableArray<string>> Namespaces { get; private set; }

    [Output("services")]
    public Output<ImmutableArray<string>> Services { get; private set; }

    [Output("planSummary")]
    public Output<ImmutableDictionary<string, string>> PlanSummary { get; private set; }

    /// <summary>Bad settings end the run with every problem listed and no stack trace (Pulumi prints a RunException plainly).</summary>
    private static StackSettings LoadSettings(Config config)
    {
        try
        {
            return StackSettingsLoader.Load(new PulumiConfigSource(config, Deployment.Instance.StackName));
        }
        catch (SettingsException e)
        {
            throw new RunException($"Stack '{Deployment.Instance.StackName}' has {e.Errors.Count} configuration problem(s):{System.Environment.NewLine}  " +
                // Pulumi hands structured values over as one-line JSON: line numbers would point nowhere.
                string.Join(System.Environment.NewLine + "  ", e.Errors.Select(error => error with { Line = null })));
        }
    }
}
