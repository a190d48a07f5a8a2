using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

/// <summary>The fixture's dev-linkerd stack, and its prod stack and dev-linkerd with one key changed, for what only they plan.</summary>
public static class LinkerdStacks
{
    public const string Dev = "dev-linkerd";

    /// <summary>Pulumi.prod.yaml on Linkerd: everything prod enforces (HA, restricted pods, default deny).</summary>
    public const string Prod = "prod-on-linkerd";

    /// <summary>dev-linkerd with the identity issuer managed by cert-manager.</summary>
    public const string CertManager = "dev-linkerd-cert-manager";

    public static TheoryData<string> All => new(Dev, Prod, CertManager);

    public static StackSettings Settings(string variant)
    {
        if (variant == Dev)
        {
            return Stacks.Settings(Dev);
        }

        using var files = new StackFiles();
        var stack = variant == Prod ? "prod" : Dev;
        if (variant == Prod)
        {
            files.Replace("Pulumi.prod.yaml", "infra:mesh: istio", "infra:mesh: linkerd");
        }
        else
        {
            files.Replace("Pulumi.dev-linkerd.yaml", "issuer: pulumi", "issuer: cert-manager");
        }

        return Load(files, stack);
    }

    public static StackSettings Load(StackFiles files, string stack) => StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, stack));

    public static MeshPlan Plan(StackFiles files, string stack) => MeshPlanner.Plan(Load(files, stack));

    public static MeshPlan Plan(string variant) => MeshPlanner.Plan(Settings(variant));

    public static IReadOnlyList<JsonObject> Objects(string variant) => Stacks.Objects(Plan(variant));
}
