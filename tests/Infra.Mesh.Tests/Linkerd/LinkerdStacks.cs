using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Settings;
using Infra.Testing;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

/// <summary>The fixture's dev-linkerd and prod-linkerd stacks, and dev-linkerd with cert-manager, for what only they plan.</summary>
public static class LinkerdStacks
{
    public const string Dev = "dev-linkerd";

    /// <summary>The fixture's prod-linkerd stack: everything prod enforces (HA, restricted pods, default deny, protection).</summary>
    public const string Prod = "prod-linkerd";

    /// <summary>dev-linkerd with the identity issuer managed by cert-manager.</summary>
    public const string CertManager = "dev-linkerd-cert-manager";

    public static TheoryData<string> All => new(Dev, Prod, CertManager);

    public static StackSettings Settings(string variant)
    {
        if (variant is Dev or Prod)
        {
            return Stacks.Settings(variant);
        }

        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "issuer: pulumi", "issuer: cert-manager");
        return Load(files, Dev);
    }

    public static StackSettings Load(StackFiles files, string stack) => StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, stack));

    public static MeshPlan Plan(StackFiles files, string stack) => MeshPlanner.Plan(Load(files, stack));

    public static MeshPlan Plan(string variant) => MeshPlanner.Plan(Settings(variant));

    public static IReadOnlyList<JsonObject> Objects(string variant) => Stacks.Objects(Plan(variant));

    /// <summary>A Linkerd chart's values.yaml, plus for the control plane the documented keys only its templates read.</summary>
    public static HelmChartValues ChartValues(string chart) => chart == LinkerdControlPlanePlanner.ControlPlaneRelease
        ? HelmChartValues.LinkerdWithHaKeys(chart, LinkerdControlPlanePlanner.UndeclaredComponentResources.Keys)
        : HelmChartValues.Linkerd(chart);
}
