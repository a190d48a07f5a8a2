using Infra.Mesh.Settings;

namespace Infra.Mesh.Planning;

/// <summary>The labels every planned object shares, so one selector finds everything Infra manages.</summary>
public static class Labels
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string Name = "app.kubernetes.io/name";
    public const string PartOf = "app.kubernetes.io/part-of";
    public const string App = "app";
    public const string Version = "version";
    public const string Stable = "stable";
    public const string Canary = "canary";

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
}
