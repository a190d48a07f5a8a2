using Infra.Mesh.Linkerd;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA130: an application namespace that exists before the stack or belongs to something else. The plan creates a
/// Namespace object for every application namespace and takes it over: Pod Security <c>restricted</c>, injection,
/// default deny (<c>allow-nothing</c>), and <c>pulumi destroy</c> deletes it. For a namespace Kubernetes creates
/// itself (<c>default</c>, <c>kube-system</c>, <c>kube-public</c>, <c>kube-node-lease</c>: kube-apiserver's system
/// namespaces controller) the create fails with AlreadyExists, or, with upsert, every other workload there is policed
/// and denied; a prerequisite's namespace (cert-manager, installed before a Linkerd stack whose issuer it rotates) would
/// be meshed and denied, and cert-manager's webhook, which the API server calls without a mesh identity, would stop
/// answering; the mesh's own namespaces are labelled and policed for the control plane.
/// </summary>
public sealed class NamespaceRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.OwnedNamespace];

    public IReadOnlyList<string> Reads { get; } = ["ingress", "linkerd"];

    /// <summary>The namespace cert-manager's documented installation (its Helm chart and static manifests) uses.</summary>
    public const string CertManagerNamespace = "cert-manager";

    private const string Cluster = "Kubernetes creates it and it always exists";

    /// <summary>Every namespace an application may not use on this stack, with who owns it.</summary>
    public static IReadOnlyDictionary<string, string> Owned(StackSettings settings)
    {
        var owned = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["default"] = Cluster,
            ["kube-system"] = Cluster,
            ["kube-public"] = Cluster,
            ["kube-node-lease"] = Cluster,
        };
        const string mesh = "the mesh's own namespace";
        if (settings.Mesh == MeshKind.Linkerd)
        {
            foreach (var ns in new[] { LinkerdSettings.SystemNamespace, LinkerdSettings.CniNamespace, LinkerdSettings.VizNamespace, LinkerdObservabilityPlanner.GrafanaNamespace })
            {
                owned[ns] = mesh;
            }

            if (settings.Linkerd.Identity.Issuer == IssuerManagement.CertManager)
            {
                owned[CertManagerNamespace] = "cert-manager's, installed before this stack (identity.issuer: cert-manager); meshing it would deny "
                    + "its webhook, which the API server calls without a mesh identity";
            }
        }
        else
        {
            owned[IstioSettings.SystemNamespace] = mesh;
            owned[settings.Ingress.Namespace] = "the ingress gateway's namespace";
        }

        return owned;
    }

    public void Check(RuleContext context)
    {
        var owned = Owned(context.Settings);
        foreach (var service in context.Settings.Services)
        {
            if (owned.TryGetValue(service.Namespace, out var owner))
            {
                context.Report(RuleCatalog.OwnedNamespace, context.Service(service)["namespace"],
                    $"'{service.Namespace}' is not the application's: {owner}; the stack creates and polices every application namespace "
                    + "(Pod Security restricted, injection, default deny) and deletes it on destroy; "
                    + $"not allowed here: {string.Join(", ", owned.Keys.Order(StringComparer.Ordinal))}; use a namespace of the application's own");
            }
        }
    }
}
