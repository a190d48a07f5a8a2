using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

/// <summary>
/// Turns a stack's config (project defaults plus stack values) into validated <see cref="StackSettings"/>.
/// Every problem is collected and thrown together as a <see cref="SettingsException"/>.
/// </summary>
public static class StackSettingsLoader
{
    private static readonly string[] TopLevelKeys =
    [
        "environment", "mesh", "kubernetes", "services", "serviceOverrides", "ingress",
        "security", "observability", "verification", "istio", "linkerd", "analysis", "delivery",
    ];

    /// <summary>The validated settings; throws <see cref="SettingsException"/> with every problem.</summary>
    public static StackSettings Load(IStackConfigSource source)
    {
        var errors = new SettingsErrors();
        var settings = Read(source, errors);
        errors.ThrowIfAny();
        return settings;
    }

    /// <summary>
    /// The settings as read, with every problem added to <paramref name="errors"/>: a bad value is reported and its
    /// default stands in for it, so what did parse can still be checked (<see cref="Analysis.StackAnalyzer"/>).
    /// Settings read with problems are partial: a service entry that is not a mapping is left out, and a call may name
    /// a service that is not there.
    /// </summary>
    public static StackSettings Read(IStackConfigSource source, SettingsErrors errors)
    {
        var file = source.StackFile;
        ConfigNode Key(string key) => ConfigNode.Root(source.Find(key), $"infra:{key}", file, errors);

        string[] environments = ["dev", "staging", "prod"];
        if (!Key("environment").Exists)
        {
            Key("environment").Error($"is required but missing; allowed: {string.Join(", ", environments)}");
        }

        var environment = Key("environment").OneOf("dev", environments);
        var production = environment == "prod";
        var meshName = Key("mesh").OneOf("istio", "istio", "linkerd");

        var kubernetes = Key("kubernetes");
        kubernetes.IsMapping("context");

        var mesh = meshName == "linkerd" ? MeshKind.Linkerd : MeshKind.Istio;
        var delivery = Key("delivery").OneOf("static", "static", "progressive") == "progressive" ? DeliveryMode.Progressive : DeliveryMode.Static;
        var referencedSecrets = new HashSet<string>(StringComparer.Ordinal);
        var services = ServiceSettings.ReadCatalog(source, Key("services"), Key("serviceOverrides"), production,
            delivery == DeliveryMode.Progressive ? mesh : null, referencedSecrets);
        RejectUnknownTopLevelKeys(source, referencedSecrets, errors);
        var settings = new StackSettings(
            source.StackName,
            file,
            environment,
            mesh,
            new KubernetesSettings(kubernetes["context"].Text()),
            services,
            IngressSettings.Read(Key("ingress")),
            SecuritySettings.Read(Key("security"), production, [.. services.Select(s => s.Namespace).Distinct(StringComparer.Ordinal)]),
            ObservabilitySettings.Read(Key("observability"), production),
            VerificationSettings.Read(Key("verification"), production),
            IstioSettings.Read(Key("istio"), production),
            LinkerdSettings.Read(Key("linkerd"), production))
        {
            Delivery = delivery,
        };
        DeliverySettings.CheckMetricsSource(Key("delivery"), settings);
        return settings;
    }

    /// <summary>
    /// Rejects keys the settings do not know (typos). A plain key that a service names as its secret is left to the
    /// secret check, which says how to set it properly.
    /// </summary>
    private static void RejectUnknownTopLevelKeys(IStackConfigSource source, HashSet<string> referencedSecrets, SettingsErrors errors)
    {
        foreach (var key in source.Keys ?? [])
        {
            var entry = source.Find(key)!;
            if (!entry.IsSecret && !TopLevelKeys.Contains(key) && !referencedSecrets.Contains(key))
            {
                errors.Add(new SettingsError(entry.File, $"infra:{key}",
                    $"unknown key '{key}'; allowed: {string.Join(", ", TopLevelKeys)} (and secret keys referenced by services)",
                    entry.Line));
            }
            else if (entry.IsSecret && TopLevelKeys.Contains(key))
            {
                errors.Add(new SettingsError(entry.File, $"infra:{key}", "must be a plain value, not a secret", entry.Line));
            }
        }
    }
}
