using System.Collections.Immutable;
using Infra.Mesh.Istio;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Workloads;
using YamlDotNet.RepresentationModel;

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
        "security", "observability", "verification", "istio", "linkerd",
    ];

    private static readonly string[] ServiceKeys =
    [
        "name", "namespace", "image", "replicas", "ports", "health", "metrics", "nrepl", "resources", "jvm",
        "config", "secrets", "calls", "public", "canary", "traffic", "autoscaling", "externalHosts", "inject",
        "automountServiceAccountToken", "shutdown",
    ];

    /// <summary>The methods a call may be restricted to.</summary>
    public static ImmutableArray<string> HttpMethods { get; } = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    public static StackSettings Load(IStackConfigSource source)
    {
        var errors = new SettingsErrors();
        var file = source.StackFile;
        ConfigNode Key(string key) => ConfigNode.Root(source.Find(key), $"infra:{key}", file, errors);

        string[] environments = ["dev", "staging", "prod"];
        if (!Key("environment").Exists)
        {
            Key("environment").Error($"is required but missing; allowed: {string.Join(", ", environments)}");
        }

        var environment = Key("environment").OneOf(null, environments) ?? "dev";
        var production = environment == "prod";
        var meshName = Key("mesh").OneOf("istio", "istio", "linkerd");

        var kubernetes = Key("kubernetes");
        kubernetes.IsMapping("context");

        var referencedSecrets = new HashSet<string>(StringComparer.Ordinal);
        var services = ReadServices(source, Key("services"), Key("serviceOverrides"), production, referencedSecrets);
        RejectUnknownTopLevelKeys(source, referencedSecrets, errors);
        var settings = new StackSettings(
            source.StackName,
            file,
            environment,
            meshName == "linkerd" ? MeshKind.Linkerd : MeshKind.Istio,
            new KubernetesSettings(kubernetes["context"].Text()),
            services,
            ReadIngress(Key("ingress")),
            ReadSecurity(Key("security"), production, [.. services.Select(s => s.Namespace).Distinct(StringComparer.Ordinal)]),
            ReadObservability(Key("observability"), production),
            ReadVerification(Key("verification"), production),
            IstioSettings.Read(Key("istio"), production),
            LinkerdSettings.Read(Key("linkerd"), production));

        errors.ThrowIfAny();
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

    private static ImmutableArray<ServiceSettings> ReadServices(
        IStackConfigSource source, ConfigNode catalog, ConfigNode overrides, bool production, HashSet<string> referencedSecrets)
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

            if (ReadService(source, node, names, production, referencedSecrets) is { } service)
            {
                services.Add(service);
            }
        }

        return [.. services];
    }

    private static ServiceSettings? ReadService(
        IStackConfigSource source, ConfigNode node, HashSet<string> declared, bool production, HashSet<string> referencedSecrets)
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
        var image = ReadImage(node["image"], production);
        var ports = ReadPorts(node["ports"]);
        var nrepl = ReadNrepl(node["nrepl"], ports, production);
        var replicas = node["replicas"].WholeNumber(1, 0, 100) ?? 1;
        var primaryHttp = ports.FirstOrDefault(p => p.IsHttp)?.Name ?? ports.FirstOrDefault()?.Name ?? "http";

        var health = node["health"];
        health.IsMapping("port", "readinessPath", "livenessPath", "startupSeconds");
        var metrics = node["metrics"];
        metrics.IsMapping("port", "path");
        var resources = node["resources"];
        resources.IsMapping("cpu", "memory", "cpuLimit");
        var jvm = node["jvm"];
        jvm.IsMapping("maxRamPercentage", "options");

        var service = new ServiceSettings(
            name ?? "",
            ns ?? "",
            image ?? new ImageReference("", null, null),
            replicas,
            ports,
            new HealthSettings(
                PortReference(health["port"], ports, primaryHttp),
                health["readinessPath"].Matching(Names.HttpPath(), "an HTTP path such as /health/ready", "/health/ready") ?? "/",
                health["livenessPath"].Matching(Names.HttpPath(), "an HTTP path such as /health/live", "/health/live") ?? "/",
                health["startupSeconds"].WholeNumber(180, 10, 1800) ?? 180),
            new MetricsSettings(
                PortReference(metrics["port"], ports, primaryHttp),
                metrics["path"].Matching(Names.HttpPath(), "an HTTP path such as /metrics", "/metrics") ?? "/metrics"),
            nrepl,
            new ResourceSettings(
                resources["cpu"].Matching(Names.Quantity(), "a CPU quantity such as 250m or 1", "250m") ?? "250m",
                resources["memory"].Matching(Names.Quantity(), "a memory quantity such as 768Mi or 1Gi", "768Mi") ?? "768Mi",
                resources["cpuLimit"].Matching(Names.Quantity(), "a CPU quantity such as 1 or 2")),
            new JvmSettings(jvm["maxRamPercentage"].WholeNumber(75, 25, 90) ?? 75, [.. jvm["options"].TextList()]),
            ReadConfig(node["config"]),
            ReadSecrets(source, node["secrets"], referencedSecrets),
            ReadCalls(node["calls"], name, declared),
            ReadPublic(node["public"]),
            ReadCanary(node["canary"]),
            ReadTraffic(node["traffic"]),
            ReadAutoscaling(node["autoscaling"], replicas, production),
            ReadExternalHosts(node["externalHosts"]),
            node["inject"].Bool(true) ?? true,
            node["automountServiceAccountToken"].Bool(false) ?? false)
        {
            Shutdown = ReadShutdown(node["shutdown"]),
        };
        CheckEnvironmentNames(node, service);
        return service;
    }

    private static ImageReference? ReadImage(ConfigNode node, bool production)
    {
        if (node.RequiredText() is not { } text)
        {
            return null;
        }

        var match = Names.Image().Match(text);
        if (!match.Success)
        {
            node.Error($"'{text}' is not an image reference; expected registry/repository:tag or registry/repository@sha256:<digest>");
            return null;
        }

        var tag = match.Groups["tag"].Success ? match.Groups["tag"].Value : null;
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;
        if (tag is null && digest is null)
        {
            node.Error($"'{text}' has neither a tag nor a digest; pin the image (repository:1.2.3 or repository@sha256:...)");
            return null;
        }

        if (production && tag == "latest" && digest is null)
        {
            node.Error($"'{text}' uses the tag 'latest', which prod does not allow; pin a version or a digest");
            return null;
        }

        return new ImageReference(match.Groups["repo"].Value, tag, digest);
    }

    private static ImmutableArray<ServicePort> ReadPorts(ConfigNode node)
    {
        var ports = new List<ServicePort>();
        foreach (var item in node.RequiredItems("declare at least one port (name, port, protocol)"))
        {
            item.IsMapping("name", "port", "protocol");
            var name = item["name"].RequiredText() is not null
                ? item["name"].Matching(Names.PortName(), "an IANA service name (lowercase letters, digits, '-', at most 15)")
                : null;
            var number = item["port"].Exists ? item["port"].WholeNumber(null, 1, 65535) : Missing<int?>(item["port"]);
            var protocol = item["protocol"].Exists
                ? item["protocol"].OneOf(null, "http", "http2", "grpc", "tcp")
                : Missing<string>(item["protocol"], " (a protocol the mesh can use: http, http2, grpc, tcp)");
            if (name is null || number is null || protocol is null)
            {
                continue;
            }

            if (ports.Any(p => p.Name == name))
            {
                item["name"].Error($"port name '{name}' is declared more than once; port names must be unique within a service");
            }

            if (ports.Any(p => p.Port == number))
            {
                item["port"].Error($"port {number} is declared more than once; each port needs its own number");
            }

            ports.Add(new ServicePort(name, number.Value, protocol switch
            {
                "http" => PortProtocol.Http,
                "http2" => PortProtocol.Http2,
                "grpc" => PortProtocol.Grpc,
                _ => PortProtocol.Tcp,
            }));
        }

        return [.. ports];
    }

    /// <summary>
    /// Each entry is a host (TLS on 443, the original form) or a mapping <c>{host, port, protocol}</c> for anything
    /// else, such as a PostgreSQL database on TCP 5432.
    /// </summary>
    private static ImmutableArray<ExternalHost> ReadExternalHosts(ConfigNode node)
    {
        const string HostDescription = "a DNS host name such as api.stripe.com or orders-db.shop.svc.cluster.local";
        var hosts = new List<ExternalHost>();
        foreach (var item in node.Items())
        {
            var entry = item.IsScalar ? ReadHostOnly(item) : ReadHostMapping(item);
            if (entry is null)
            {
                continue;
            }

            var hostNode = item.IsScalar ? item : item["host"];
            if (entry.Host.EndsWith("." + Names.ClusterDomain, StringComparison.Ordinal) && !Names.ClusterServiceHost().IsMatch(entry.Host))
            {
                hostNode.Error($"'{entry.Host}' is not a Kubernetes Service host; expected <service>.<namespace>.svc.cluster.local");
            }
            else if (entry.Protocol == ExternalProtocol.Tcp && entry.Host.StartsWith("*.", StringComparison.Ordinal))
            {
                // Without SNI the proxy cannot tell which host under a wildcard a TCP connection is for.
                hostNode.Error($"'{entry.Host}' is a wildcard, which only protocol tls allows; name the exact host");
            }
            else if (hosts.Any(h => h.Host == entry.Host && h.Port == entry.Port))
            {
                hostNode.Error($"'{entry.Host}' port {entry.Port} is declared more than once");
            }
            else
            {
                hosts.Add(entry);
            }
        }

        return [.. hosts];

        static ExternalHost? ReadHostOnly(ConfigNode item) =>
            item.Matching(Names.Host(), HostDescription) is { } host ? new ExternalHost(host, ExternalHost.DefaultTlsPort, ExternalProtocol.Tls) : null;

        static ExternalHost? ReadHostMapping(ConfigNode item)
        {
            if (!item.IsMapping("host", "port", "protocol"))
            {
                return null;
            }

            var host = item["host"].RequiredText() is not null ? item["host"].Matching(Names.Host(), HostDescription) : null;
            var protocol = item["protocol"].OneOf("tls", "tls", "tcp");
            var port = protocol == "tcp" && !item["port"].Exists
                ? Missing<int?>(item["port"], " (a tcp host has no default port; allowed: 1..65535)")
                : item["port"].WholeNumber(ExternalHost.DefaultTlsPort, 1, 65535);
            return host is null || protocol is null || port is null
                ? null
                : new ExternalHost(host, port.Value, protocol == "tcp" ? ExternalProtocol.Tcp : ExternalProtocol.Tls);
        }
    }

    private static T? Missing<T>(ConfigNode node, string hint = "")
    {
        node.Error("is required but missing" + hint);
        return default;
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

    private static NreplSettings ReadNrepl(ConfigNode node, ImmutableArray<ServicePort> ports, bool production)
    {
        if (!node.Exists)
        {
            return new NreplSettings(0, false);
        }

        node.IsMapping("port", "enabled");
        var port = node["port"].WholeNumber(7888, 1, 65535) ?? 7888;
        if (ports.Any(p => p.Port == port))
        {
            node["port"].Error($"port {port} is also a service port; nREPL needs a port of its own");
        }

        return new NreplSettings(port, node["enabled"].Bool(!production) ?? false);
    }

    private static ShutdownSettings ReadShutdown(ConfigNode node)
    {
        node.IsMapping("preStopSeconds", "terminationGracePeriodSeconds");
        var defaults = ShutdownSettings.Default;
        var preStop = node["preStopSeconds"].WholeNumber(defaults.PreStopSeconds, 0, 300) ?? defaults.PreStopSeconds;
        var grace = node["terminationGracePeriodSeconds"].WholeNumber(defaults.TerminationGracePeriodSeconds, 1, 3600)
            ?? defaults.TerminationGracePeriodSeconds;
        if (grace <= preStop)
        {
            // The grace period includes the preStop pause; without time left the app is killed before it can drain.
            node["terminationGracePeriodSeconds"].Error(
                $"{grace} leaves the app no time to stop after the {preStop}s preStop pause; allowed: more than preStopSeconds ({preStop})");
        }

        return new ShutdownSettings(preStop, grace);
    }

    /// <summary>A name set twice would be silently shadowed in the container (env wins over envFrom, later wins over earlier).</summary>
    private static void CheckEnvironmentNames(ConfigNode node, ServiceSettings service)
    {
        var planned = WorkloadPlanner.PlannedEnvironment;
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

    private static ServiceConfig ReadConfig(ConfigNode node)
    {
        node.IsMapping("reload", "edn", "env");
        var edn = node["edn"];
        var ednNode = edn.Exists && edn.IsMapping() ? edn.Merged() as YamlMappingNode : null;
        var env = node["env"];
        env.IsMapping();
        foreach (var key in env.Keys().Where(k => !Names.EnvironmentVariable().IsMatch(k)))
        {
            env[key].Error($"'{key}' is not a valid environment variable name");
        }

        return new ServiceConfig(
            node["reload"].OneOf("restart", "live", "restart") == "live" ? ConfigReload.Live : ConfigReload.Restart,
            ednNode,
            [.. env.TextMap()]);
    }

    /// <summary>Secret environment variables; every config key named is added to <paramref name="referenced"/>.</summary>
    private static ImmutableArray<SecretEnvironmentVariable> ReadSecrets(IStackConfigSource source, ConfigNode node, HashSet<string> referenced)
    {
        node.IsMapping();
        var secrets = new List<SecretEnvironmentVariable>();
        foreach (var variable in node.Keys())
        {
            var key = node[variable].Matching(Names.ConfigKey(), "the name of a secret stack config key");
            if (!Names.EnvironmentVariable().IsMatch(variable))
            {
                node[variable].Error($"'{variable}' is not a valid environment variable name");
            }

            if (key is null)
            {
                continue;
            }

            referenced.Add(key);
            switch (source.HasSecret(key))
            {
                case false when source.Find(key) is { } plain && !plain.IsSecret:
                    node[variable].Error($"infra:{key} is set as plain text; set it with: pulumi config set --secret infra:{key}");
                    break;
                case false:
                    node[variable].Error($"infra:{key} is not set; set it with: pulumi config set --secret infra:{key} -s {source.StackName}");
                    break;
                default:
                    secrets.Add(new SecretEnvironmentVariable(variable, key));
                    break;
            }
        }

        return [.. secrets];
    }

    private static ImmutableArray<CallSettings> ReadCalls(ConfigNode node, string? caller, HashSet<string> declared)
    {
        var calls = new List<CallSettings>();
        foreach (var item in node.Items())
        {
            // A call is either a service name or {service, methods, paths}.
            var shortForm = item.IsScalar;
            if (!shortForm)
            {
                item.IsMapping("service", "methods", "paths");
            }

            var target = shortForm ? item : item["service"];

            var service = target.RequiredText();
            if (service is null)
            {
                continue;
            }

            if (!declared.Contains(service))
            {
                target.Error($"calls '{service}', which the catalog does not declare; declared: {string.Join(", ", declared.Order(StringComparer.Ordinal))}");
                continue;
            }

            if (service == caller)
            {
                target.Error("a service does not need to declare a call to itself");
                continue;
            }

            if (calls.Any(c => c.Service == service))
            {
                target.Error($"the call to '{service}' is declared more than once");
                continue;
            }

            var methods = shortForm ? [] : item["methods"].TextList();
            foreach (var method in methods.Where(m => !HttpMethods.Contains(m)))
            {
                item["methods"].Error($"'{method}' is not allowed; allowed: {string.Join(", ", HttpMethods)}");
            }

            var paths = shortForm ? [] : item["paths"].TextList();
            foreach (var path in paths.Where(p => !Names.HttpPath().IsMatch(p)))
            {
                item["paths"].Error($"'{path}' is not an HTTP path; expected /path or /prefix/*");
            }

            calls.Add(new CallSettings(service, [.. methods], [.. paths]));
        }

        return [.. calls];
    }

    private static PublicSettings? ReadPublic(ConfigNode node)
    {
        if (!node.Exists)
        {
            return null;
        }

        node.IsMapping("host", "paths");
        var host = node["host"].RequiredText() is not null ? node["host"].Matching(Names.Host(), "a DNS host name such as api.example.com") : null;
        var paths = node["paths"].TextList();
        // Public paths are prefixes already: a trailing * would become a literal character in the ingress route.
        foreach (var path in paths.Where(p => !Names.HttpPath().IsMatch(p) || p.EndsWith('*')))
        {
            node["paths"].Error($"'{path}' is not an HTTP path prefix; expected /prefix (every path below it is public), without *");
        }

        return new PublicSettings(host ?? "", paths.Count > 0 ? [.. paths] : ["/"]);
    }

    private static CanarySettings? ReadCanary(ConfigNode node)
    {
        if (!node.Exists)
        {
            return null;
        }

        node.IsMapping("tag", "weight", "replicas", "header");
        var header = node["header"];
        header.IsMapping("name", "value");
        return new CanarySettings(
            node["tag"].RequiredText() is not null
                ? node["tag"].Matching(Names.ImageTag(), "an image tag") ?? ""
                : "",
            node["weight"].WholeNumber(0, 0, 100) ?? 0,
            node["replicas"].WholeNumber(1, 1, 100) ?? 1,
            header["name"].Matching(Names.HeaderName(), "a lowercase HTTP header name", "x-canary") ?? "x-canary",
            header["value"].Text() ?? "always");
    }

    private static TrafficSettings ReadTraffic(ConfigNode node)
    {
        node.IsMapping("timeout", "retries", "connectionPool", "outlierDetection");
        var retries = node["retries"];
        retries.IsMapping("attempts", "perTryTimeout", "retryOn");
        var pool = node["connectionPool"];
        pool.IsMapping("maxConnections", "maxPendingRequests", "maxRequestsPerConnection");
        var outlier = node["outlierDetection"];
        outlier.IsMapping("consecutive5xxErrors", "interval", "baseEjectionTime", "maxEjectionPercent");
        const string duration = "a duration such as 250ms, 5s or 1m";
        return new TrafficSettings(
            node["timeout"].Matching(Names.Duration(), duration, "10s") ?? "10s",
            new RetrySettings(
                retries["attempts"].WholeNumber(2, 0, 10) ?? 2,
                retries["perTryTimeout"].Matching(Names.Duration(), duration, "3s") ?? "3s",
                // Only failures where the request never reached the app: safe for non-idempotent calls too.
                retries["retryOn"].Text() ?? "connect-failure,refused-stream,unavailable"),
            new ConnectionPoolSettings(
                pool["maxConnections"].WholeNumber(100, 1, 100_000) ?? 100,
                pool["maxPendingRequests"].WholeNumber(100, 1, 100_000) ?? 100,
                pool["maxRequestsPerConnection"].WholeNumber(0, 0, 100_000) ?? 0),
            new OutlierDetectionSettings(
                outlier["consecutive5xxErrors"].WholeNumber(5, 1, 1000) ?? 5,
                outlier["interval"].Matching(Names.Duration(), duration, "10s") ?? "10s",
                outlier["baseEjectionTime"].Matching(Names.Duration(), duration, "30s") ?? "30s",
                outlier["maxEjectionPercent"].WholeNumber(50, 1, 100) ?? 50));
    }

    private static AutoscalingSettings ReadAutoscaling(ConfigNode node, int replicas, bool production)
    {
        node.IsMapping("enabled", "minReplicas", "maxReplicas", "targetCpuUtilization");
        var min = node["minReplicas"].WholeNumber(Math.Max(2, replicas), 1, 100) ?? 2;
        var max = node["maxReplicas"].WholeNumber(Math.Max(min, replicas) * 3, 1, 500) ?? min;
        if (max < min)
        {
            node["maxReplicas"].Error($"{max} is below minReplicas ({min})");
        }

        return new AutoscalingSettings(node["enabled"].Bool(production) ?? production, min, max, node["targetCpuUtilization"].WholeNumber(70, 10, 100) ?? 70);
    }

    private static IngressSettings ReadIngress(ConfigNode node)
    {
        node.IsMapping("namespace", "tlsSecretName", "replicas");
        return new IngressSettings(
            node["namespace"].Matching(Names.Dns1123Label(), "a DNS-1123 label", "mesh-ingress") ?? "mesh-ingress",
            node["tlsSecretName"].Matching(Names.Dns1123Label(), "the name of a kubernetes.io/tls Secret", "ingress-tls") ?? "ingress-tls",
            node["replicas"].WholeNumber(1, 1, 20) ?? 1);
    }

    private static SecuritySettings ReadSecurity(ConfigNode node, bool production, IReadOnlyList<string> namespaces)
    {
        node.IsMapping("mtls", "namespaceMtls", "defaultDeny");
        var mode = ReadMtls(node["mtls"], production, "STRICT") ?? MtlsMode.Strict;
        var perNamespace = node["namespaceMtls"];
        perNamespace.IsMapping();
        foreach (var unknown in perNamespace.Keys().Where(ns => !namespaces.Contains(ns)))
        {
            // A typo would otherwise leave the real namespace on the mesh-wide mode without a word.
            perNamespace[unknown].Error($"'{unknown}' is not a namespace of the catalog; known: {string.Join(", ", namespaces.Order(StringComparer.Ordinal))}");
        }

        var overrides = perNamespace.Keys()
            .Where(namespaces.Contains)
            .Select(ns => (ns, mode: ReadMtls(perNamespace[ns], production, null)))
            .Where(e => e.mode is not null)
            .ToImmutableSortedDictionary(e => e.ns, e => e.mode!.Value, StringComparer.Ordinal);
        var defaultDeny = node["defaultDeny"].Bool(true) ?? true;
        if (production && !defaultDeny)
        {
            node["defaultDeny"].Error("'false' is not allowed in prod; allowed: true (only least-privilege allow rules open traffic there)");
        }

        return new SecuritySettings(mode, overrides, defaultDeny);
    }

    private static MtlsMode? ReadMtls(ConfigNode node, bool production, string? defaultMode)
    {
        var value = node.OneOf(defaultMode, "STRICT", "PERMISSIVE");
        if (value == "PERMISSIVE" && production)
        {
            node.Error("'PERMISSIVE' is not allowed in prod; allowed: STRICT");
            return null;
        }

        return value switch
        {
            "STRICT" => MtlsMode.Strict,
            "PERMISSIVE" => MtlsMode.Permissive,
            _ => null,
        };
    }

    private static ObservabilitySettings ReadObservability(ConfigNode node, bool production)
    {
        node.IsMapping("traceSampling", "accessLogs", "prometheus", "grafana", "kiali", "jaeger");
        return new ObservabilitySettings(
            node["traceSampling"].Number(production ? 1.0 : 100.0, 0, 100) ?? 1.0,
            node["accessLogs"].Bool(true) ?? true,
            node["prometheus"].Bool(true) ?? true,
            node["grafana"].Bool(!production) ?? false,
            node["kiali"].Bool(true) ?? true,
            node["jaeger"].Bool(!production) ?? false);
    }

    private static VerificationSettings ReadVerification(ConfigNode node, bool production)
    {
        node.IsMapping("enabled", "image", "path", "canaryRequests");
        var image = node["image"].Exists ? ReadImage(node["image"], production) : null;
        var path = node["path"].Matching(Names.HttpPath(), "an HTTP path such as /mesh-verify", VerificationSettings.DefaultPath) ?? VerificationSettings.DefaultPath;
        if (path.EndsWith('*'))
        {
            node["path"].Error($"'{path}' is a prefix; the verification request needs one exact path such as /mesh-verify");
        }

        return new VerificationSettings(
            node["enabled"].Bool(true) ?? true,
            image?.ToString() ?? VerificationSettings.DefaultImage,
            path,
            node["canaryRequests"].WholeNumber(VerificationSettings.DefaultCanaryRequests, 20, 10_000) ?? VerificationSettings.DefaultCanaryRequests);
    }
}
