using Infra.Mesh.Settings;
using k8s.Models;

namespace Infra.Mesh.Planning;

/// <summary>The labels every planned object shares, so one selector finds everything Infra manages.</summary>
public static class Labels
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string Name = "app.kubernetes.io/name";
    public const string PartOf = "app.kubernetes.io/part-of";
    public const string Component = "app.kubernetes.io/component";
    public const string App = "app";
    public const string Version = "version";
    public const string Stable = "stable";
    public const string Canary = "canary";

    /// <summary>Pod Security Admission levels a namespace enforces, warns about and audits.</summary>
    public const string PodSecurityEnforce = "pod-security.kubernetes.io/enforce";
    public const string PodSecurityEnforceVersion = "pod-security.kubernetes.io/enforce-version";
    public const string PodSecurityWarn = "pod-security.kubernetes.io/warn";
    public const string PodSecurityAudit = "pod-security.kubernetes.io/audit";

    public static Dictionary<string, string> Managed() => new(StringComparer.Ordinal) { [ManagedBy] = "infra" };

    /// <summary>Labels of a service's objects; <c>app</c> is what Istio and Linkerd dashboards group by.</summary>
    public static Dictionary<string, string> For(ServiceSettings service) => new(StringComparer.Ordinal)
    {
        [App] = service.Name,
        [Name] = service.Name,
        [PartOf] = "infra",
        [ManagedBy] = "infra",
    };

    public static Dictionary<string, string> Selector(ServiceSettings service) => new(StringComparer.Ordinal) { [App] = service.Name };

    /// <summary>The pods of one version (stable or canary) of a service.</summary>
    public static Dictionary<string, string> Selector(ServiceSettings service, string version) =>
        new(Selector(service), StringComparer.Ordinal) { [Version] = version };

    /// <summary>Metadata of an object of a service: in its namespace, with its labels, and its version's for a version's own objects.</summary>
    public static V1ObjectMeta Meta(ServiceSettings service, string name, string? version = null)
    {
        var labels = For(service);
        if (version is not null)
        {
            labels[Version] = version;
        }

        return new V1ObjectMeta { Name = name, NamespaceProperty = service.Namespace, Labels = labels };
    }
}
