using System.Collections.Immutable;
using Infra.Mesh.Analysis;
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
        var plan = Plan = Analyze(config).Plan;
        var settings = plan.Settings;
        if (Deployment.Instance.IsDryRun)
        {
            // A preview of an unreachable cluster succeeds and says nothing; `up` applies only after its own preview.
            ClusterPreflight.CheckAsync(Deployment.Instance.StackName, settings.Kubernetes.Context).GetAwaiter().GetResult();
        }

        var providerArgs = new ProviderArgs
        {
            // Without these the provider replaces a ConfigMap or Secret whenever its data changes (forceNewProperties in
            // pulumi-kubernetes v4.32.0 provider/pkg/provider/diff.go): pods of a `reload: live` service would see the
            // object deleted and recreated instead of the kubelet swapping in the new file, and a pod starting in between
            // could not mount it. Objects marked `immutable` are still replaced.
            EnableConfigMapMutable = true,
            EnableSecretMutable = true,
        };
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
    private static StackAnalysis Analyze(Config config)
    {
        var stack = Deployment.Instance.StackName;
        try
        {
            var source = new PulumiConfigSource(config, stack);
            var analysis = StackAnalyzer.Load(source);
            // Stack files ship without ciphertext: stop before anything is planned against the cluster, with every
            // missing key at once, rather than at the first Secret that cannot be filled.
            var missing = analysis.Settings.SecretConfigKeys.Where(key => source.HasSecret(key) != true).ToList();
            if (missing.Count > 0)
            {
                throw new RunException($"Stack '{stack}' needs {missing.Count} secret(s) that are not set. Set them, then run again:" +
                    string.Concat(missing.Select(key => $"{System.Environment.NewLine}  pulumi config set --secret {ProjectConfigFiles.Namespace}:{key} -s {stack}")));
            }

            foreach (var warning in analysis.Warnings)
            {
                Log.Warn(warning.ToString());
            }

            return analysis;
        }
        catch (SettingsException e)
        {
            throw new RunException($"Stack '{stack}' has {e.Errors.Count} configuration problem(s):{System.Environment.NewLine}  " +
                // Pulumi hands structured values over as one-line JSON: line numbers would point nowhere.
                string.Join(System.Environment.NewLine + "  ", e.Errors.Select(error => error with { Line = null }))
                + (e.Skipped.Count > 0
                    ? $"{System.Environment.NewLine}Further checks skipped until these are fixed:{System.Environment.NewLine}  " + string.Join(System.Environment.NewLine + "  ", e.Skipped)
                    : ""));
        }
    }
}
