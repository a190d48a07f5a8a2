using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

/// <summary>A service of the catalog after the stack's overrides.</summary>
public sealed record ServiceSettings(
    string Name,
    string Namespace,
    ImageReference Image,
    int Replicas,
    ImmutableArray<ServicePort> Ports,
    HealthSettings Health,
    MetricsSettings Metrics,
    NreplSettings Nrepl,
    ResourceSettings Resources,
    JvmSettings Jvm,
    ServiceConfig Config,
    ImmutableArray<SecretEnvironmentVariable> Secrets,
    ImmutableArray<CallSettings> Calls,
    PublicSettings? Public,
    CanarySettings? Canary,
    TrafficSettings Traffic,
    AutoscalingSettings Autoscaling,
    ImmutableArray<ExternalHost> ExternalHosts,
    bool Injected,
    bool AutomountServiceAccountToken)
{
    public string ServiceAccount => Name;

    public ServicePort PrimaryPort => Ports[0];

    /// <summary>The port HTTP traffic (from the ingress, or a verification check) reaches it on: its first HTTP port, else its primary port.</summary>
    public ServicePort HttpPort => Ports.FirstOrDefault(p => p.IsHttp) ?? PrimaryPort;

    public ServicePort Port(string name) => Ports.Single(p => p.Name == name);

    /// <summary>How pods stop; an init property so the positional record stays source-compatible.</summary>
    public ShutdownSettings Shutdown { get; init; } = ShutdownSettings.Default;

    /// <summary>Its Flagger analysis under progressive delivery (<see cref="StackSettings.IsProgressive"/>).</summary>
    public DeliverySettings Delivery { get; init; } = DeliverySettings.Default;

    private static readonly string[] ServiceKeys =
    [
        "name", "namespace", "image", "replicas", "ports", "health", "metrics", "nrepl", "resources", "jvm",
        "config", "secrets", "calls", "public", "canary", "traffic", "autoscaling", "externalHosts", "inject",
        "automountServiceAccountToken", "shutdown", "delivery",
    ];

    /// <summary>
    /// The catalog (<c>infra:services</c> in Pulumi.yaml) with the stack's <c>infra:serviceOverrides</c> laid over each
    /// entry; every config key a service names as a secret is added to <paramref name="referencedSecrets"/>.
    /// <paramref name="progressive"/> is the mesh when the stack uses progressive delivery.
    /// </summary>
    internal static ImmutableArray<ServiceSettings> ReadCatalog(
        IStackConfigSource source, ConfigNode catalog, ConfigNode overrides, bool production, MeshKind? progressive, HashSet<string> referencedSecrets)
    {
        var entries = catalog.RequiredItems("declare the service catalog in Pulumi.yaml (config: infra:services: value: [...])");

        var names = entries.Select(e => e["name"].Text()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var name in overrides.Keys().Where(n => !names.Contains(n)))
        {
            overrides[name].Error($"overrides service '{name}', which the catalog does not declare; declared: {string.Join(", ", names.Order(StringComparer.Ordinal))}");
        }

        foreach (var name in overrides.Keys().Where(n => overrides[n]["name"].Exists))
        {
            // The override is keyed by the name; renaming there would silently break calls and other stacks.
            overrides[name]["name"].Error("a service cannot be renamed by an override; rename it in the catalog (Pulumi.yaml)");
        }

        var services = new List<ServiceSettings>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var name = entry["name"].Text();
            var node = name is not null && overrides[name].Exists ? entry.Under(overrides[name]) : entry;
            if (name is not null && !seen.Add(name))
            {
                entry["name"].Error($"service '{name}' is declared more than once; service names must be unique");
            }

            if (Read(source, node, names, production, progressive, referencedSecrets) is { } service)
            {
                services.Add(service);
            }

            if (name is not null && overrides[name].Exists)
            {
                CheckReplacedCatalogValues(source, entry, overrides[name], names);
            }
        }

        return [.. services];
    }

    /// <summary>
    /// The catalog is shared by every stack: a value a stack's override replaces is still what every other stack (and
    /// any stack added later) reads. So the entry is also read alone, and each problem with a value this override
    /// replaces is reported (Pulumi.yaml, its line, <c>infra:services[name].field</c>); problems with values the
    /// override does not replace are the stack's own read's. Read as outside prod and without progressive delivery:
    /// what only those stacks require is checked by them, on the values they read.
    /// </summary>
    private static void CheckReplacedCatalogValues(IStackConfigSource source, ConfigNode entry, ConfigNode over, HashSet<string> declared)
    {
        var probe = new SettingsErrors();
        _ = Read(source, entry.Alone(probe), declared, production: false, progressive: null, referencedSecrets: []);
        foreach (var error in probe.All.Where(e => e.Key.StartsWith(entry.Path, StringComparison.Ordinal) && over.Replaces(e.Key[entry.Path.Length..])))
        {
            entry.Report(error);
        }
    }

    internal static ServiceSettings? Read(
        IStackConfigSource source, ConfigNode node, HashSet<string> declared, bool production, MeshKind? progressive, HashSet<string> referencedSecrets)
    {
        if (!node.Exists)
        {
            node.Error("expected a service mapping, got nothing");
            return null;
        }

        if (!node.IsMapping(ServiceKeys))
        {
            return null;
        }

        var name = node["name"].RequiredText() is not null
            ? node["name"].Matching(Names.ServiceName(), "a DNS-1123 label starting with a letter (lowercase letters, digits, '-', at most 63)")
            : null;
        var ns = node["namespace"].RequiredText() is not null
            ? node["namespace"].Matching(Names.Dns1123Label(), "a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
            : null;
        var image = ImageReference.Read(node["image"], production);
        var ports = ServicePort.ReadAll(node["ports"]);
        var nrepl = NreplSettings.Read(node["nrepl"], ports, production);
        var replicas = node["replicas"].WholeNumber(1, 0, 100);
        var primaryHttp = ports.FirstOrDefault(p => p.IsHttp)?.Name ?? ports.FirstOrDefault()?.Name ?? "http";

        var health = node["health"];
        health.IsMapping("port", "readinessPath", "livenessPath", "startupSeconds");
        var metrics = node["metrics"];
        metrics.IsMapping("port", "path");
        var resources = node["resources"];
        resources.IsMapping("cpu", "memory", "cpuLimit");
        var jvm = node["jvm"];
        jvm.IsMapping("maxRamPercentage", "options");

        var injected = node["inject"].Bool(true);
        var service = new ServiceSettings(
            name ?? "",
            ns ?? "",
            image ?? new ImageReference("", null, null),
            replicas,
            ports,
            new HealthSettings(
                PortReference(health["port"], ports, primaryHttp),
                health["readinessPath"].Matching(Names.HttpPath(), "an HTTP path such as /health/ready", "/health/ready"),
                health["livenessPath"].Matching(Names.HttpPath(), "an HTTP path such as /health/live", "/health/live"),
                health["startupSeconds"].WholeNumber(180, 10, 1800)),
            new MetricsSettings(
                PortReference(metrics["port"], ports, primaryHttp),
                metrics["path"].Matching(Names.HttpPath(), "an HTTP path such as /metrics", "/metrics")),
            nrepl,
            new ResourceSettings(
                resources["cpu"].Matching(Names.Quantity(), "a CPU quantity such as 250m or 1", "250m"),
                resources["memory"].Matching(Names.Quantity(), "a memory quantity such as 768Mi or 1Gi", "768Mi"),
                resources["cpuLimit"].Matching(Names.Quantity(), "a CPU quantity such as 1 or 2")),
            new JvmSettings(jvm["maxRamPercentage"].WholeNumber(75, 25, 90), [.. jvm["options"].TextList()]),
            ServiceConfig.Read(node["config"]),
            SecretEnvironmentVariable.ReadAll(source, node["secrets"], referencedSecrets),
            CallSettings.ReadAll(node["calls"], name, declared, injected),
            PublicSettings.Read(node["public"]),
            CanarySettings.Read(node["canary"]),
            TrafficSettings.Read(node["traffic"]),
            AutoscalingSettings.Read(node["autoscaling"], replicas, production),
            ExternalHost.ReadAll(node["externalHosts"]),
            injected,
            node["automountServiceAccountToken"].Bool(false))
        {
            Shutdown = ShutdownSettings.Read(node["shutdown"]),
        };
        service = service with { Delivery = DeliverySettings.Read(node["delivery"], ports.FirstOrDefault(p => p.IsHttp), service.Health.ReadinessPath) };
        if (progressive is { } mesh && service.Delivery.Enabled)
        {
            DeliverySettings.CheckProgressive(node, service, mesh);
        }

        CheckEnvironmentNames(node, service);
        return service;
    }

    private static string PortReference(ConfigNode node, ImmutableArray<ServicePort> ports, string defaultPort)
    {
        var name = node.Text() ?? defaultPort;
        if (node.Exists && ports.Length > 0 && ports.All(p => p.Name != name))
        {
            node.Error($"'{name}' is not a declared port; declared: {string.Join(", ", ports.Select(p => p.Name))}");
        }

        return name;
    }

    /// <summary>A name set twice would be silently shadowed in the container (env wins over envFrom, later wins over earlier).</summary>
    private static void CheckEnvironmentNames(ConfigNode node, ServiceSettings service)
    {
        var planned = PlatformEnvironment.Names;
        foreach (var (name, _) in service.Config.Environment.Where(e => planned.Contains(e.Key)))
        {
            node["config"]["env"][name].Error($"'{name}' is set by the platform; reserved: {string.Join(", ", planned)} (JVM flags go in jvm.options)");
        }

        foreach (var secret in service.Secrets)
        {
            if (planned.Contains(secret.Name))
            {
                node["secrets"][secret.Name].Error($"'{secret.Name}' is set by the platform; reserved: {string.Join(", ", planned)}");
            }
            else if (service.Config.Environment.Any(e => e.Key == secret.Name))
            {
                node["secrets"][secret.Name].Error($"'{secret.Name}' is also a plain variable in config.env; a variable is either secret or plain");
            }
        }
    }
}

public sealed record HealthSettings(string Port, string ReadinessPath, string LivenessPath, int StartupSeconds);

public sealed record MetricsSettings(string Port, string Path);

/// <summary>The nREPL debugging port: never on the Service, never through the mesh, off in prod by default.</summary>
public sealed record NreplSettings(int Port, bool Enabled)
{
    internal static NreplSettings Read(ConfigNode node, ImmutableArray<ServicePort> ports, bool production)
    {
        if (!node.Exists)
        {
            return new NreplSettings(0, false);
        }

        node.IsMapping("port", "enabled");
        var port = node["port"].WholeNumber(7888, 1, 65535);
        if (ports.Any(p => p.Port == port))
        {
            node["port"].Error($"port {port} is also a service port; nREPL needs a port of its own");
        }

        return new NreplSettings(port, node["enabled"].Bool(!production));
    }
}

/// <summary>Requests; the memory limit always equals the request (the JVM sizes its heap from it).</summary>
public sealed record ResourceSettings(string Cpu, string Memory, string? CpuLimit);

/// <summary>
/// Graceful stop: the container keeps serving for <paramref name="PreStopSeconds"/> while endpoints and proxies drop it,
/// then gets SIGTERM; the kubelet kills it <paramref name="TerminationGracePeriodSeconds"/> after the stop began.
/// </summary>
public sealed record ShutdownSettings(int PreStopSeconds, int TerminationGracePeriodSeconds)
{
    public static ShutdownSettings Default { get; } = new(10, 45);

    internal static ShutdownSettings Read(ConfigNode node)
    {
        node.IsMapping("preStopSeconds", "terminationGracePeriodSeconds");
        var defaults = ShutdownSettings.Default;
        var preStop = node["preStopSeconds"].WholeNumber(defaults.PreStopSeconds, 0, 300);
        var grace = node["terminationGracePeriodSeconds"].WholeNumber(defaults.TerminationGracePeriodSeconds, 1, 3600);
        if (grace <= preStop)
        {
            // The grace period includes the preStop pause; without time left the app is killed before it can drain.
            node["terminationGracePeriodSeconds"].Error(
                $"{grace} leaves the app no time to stop after the {preStop}s preStop pause; allowed: more than preStopSeconds ({preStop})");
        }

        return new ShutdownSettings(preStop, grace);
    }
}

public sealed record JvmSettings(int MaxRamPercentage, ImmutableArray<string> Options);

public sealed record AutoscalingSettings(bool Enabled, int MinReplicas, int MaxReplicas, int TargetCpuUtilization)
{
    internal static AutoscalingSettings Read(ConfigNode node, int replicas, bool production)
    {
        node.IsMapping("enabled", "minReplicas", "maxReplicas", "targetCpuUtilization");
        var min = node["minReplicas"].WholeNumber(Math.Max(2, replicas), 1, 100);
        var max = node["maxReplicas"].WholeNumber(Math.Max(min, replicas) * 3, 1, 500);
        if (max < min)
        {
            node["maxReplicas"].Error($"{max} is below minReplicas ({min})");
        }

        return new AutoscalingSettings(node["enabled"].Bool(production), min, max, node["targetCpuUtilization"].WholeNumber(70, 10, 100));
    }
}
