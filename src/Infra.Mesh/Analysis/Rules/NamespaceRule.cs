using Infra.Mesh.Linkerd;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA130: an application namespace the cluster (kube-system, kube-public, kube-node-lease) or the mesh owns: the
/// mesh's namespaces are labelled and policed for the control plane (Pod Security, injection, default policy), and a
/// namespace planned twice would collide.
/// </summary>
public sealed class NamespaceRule : ISettingsRule
{
    private static readonly string[] ClusterOwned = ["kube-system", "kube-public", "kube-node-lease"];

    public static IEnumerable<string> Owned(StackSettings settings) => settings.Mesh == MeshKind.Linkerd
        ? [.. ClusterOwned, LinkerdSettings.SystemNamespace, LinkerdSettings.CniNamespace, LinkerdSettings.VizNamespace, LinkerdObservabilityPlanner.GrafanaNamespace]
        : [.. ClusterOwned, IstioSettings.SystemNamespace, settings.Ingress.Namespace];

    public void Check(RuleContext context)
    {
        var owned = Owned(context.Settings).ToHashSet(StringComparer.Ordinal);
        foreach (var service in context.Settings.Services.Where(s => owned.Contains(s.Namespace)))
        {
            context.Report(RuleCatalog.OwnedNamespace, context.Service(service)["namespace"],
                $"'{service.Namespace}' belongs to the cluster or the mesh; not allowed: {string.Join(", ", owned.Order(StringComparer.Ordinal))}; use a namespace of the application's own");
        }
    }
}
