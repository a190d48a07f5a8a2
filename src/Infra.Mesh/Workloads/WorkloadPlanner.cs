using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using k8s.Models;

namespace Infra.Mesh.Workloads;

/// <summary>
/// Plans what a platform team would otherwise hand-write for each Clojure service: namespaces, service accounts,
/// configuration, a Deployment per version, the Service, and prod resilience. Mesh-neutral: the mesh only
/// contributes the labels and annotations its injector reads.
/// </summary>
public sealed class WorkloadPlanner(IInjection injection) : IPlanner
{
    public const string ConfigChecksumAnnotation = "checksum/config";
    public const string EnvChecksumAnnotation = "checksum/env";
    public const string ConfigFileName = "config.edn";

    /// <summary>Non-root user the images run as; numeric so runAsNonRoot can be verified by the kubelet.</summary>
    private const long RunAsUser = 10001;

    /// <summary>Seconds the container keeps serving after it is marked terminating, while endpoints and proxies catch up.</summary>
    private const long PreStopSeconds = 10;

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        foreach (var ns in settings.Namespaces)
        {
            plan.Add(StageKind.Namespaces, Namespace(ns, settings.IsProduction));
        }

        foreach (var service in settings.Services)
        {
            plan.Add(StageKind.Workloads, ServiceAccount(service));
            var config = ConfigMap(service);
            plan.Add(StageKind.Workloads, config);
            var env = EnvConfigMap(service);
            plan.Add(StageKind.Workloads, env);
            if (!service.Secrets.IsEmpty)
            {
                plan.Add(StageKind.Workloads, new SecretItem(service.Namespace, SecretName(service), "Opaque",
                    [.. service.Secrets.Select(s => new SecretEntry(s.Name, new ConfigSecret(s.ConfigKey)))])
                {
                    Labels = Labels.For(service).ToImmutableDictionary(),
                });
            }

            foreach (var version in Versions(service))
            {
                plan.Add(StageKind.Workloads, Deployment(service, version, config, env, settings.IsProduction));
            }

            plan.Add(StageKind.Workloads, Service(service));
            if (settings.IsProduction)
            {
                plan.Add(StageKind.Workloads, DisruptionBudget(service));
            }

            if (service.Autoscaling.Enabled)
            {
                plan.Add(StageKind.Workloads, Autoscaler(service));
            }
        }
    }

    /// <summary>A version of a service: stable always, canary when configured.</summary>
    public sealed record WorkloadVersion(string Name, string DeploymentName, ImageReference Image, int Replicas);

    public static IReadOnlyList<WorkloadVersion> Versions(ServiceSettings service)
    {
        var versions = new List<WorkloadVersion> { new(Labels.Stable, service.Name, service.Image, service.Replicas) };
        if (service.Canary is { } canary)
        {
            versions.Add(new WorkloadVersion(Labels.Canary, $"{service.Name}-canary", service.Image.WithTag(canary.Tag), canary.Replicas));
        }

        return versions;
    }

    public static string ConfigMapName(ServiceSettings service) => $"{service.Name}-config";

    public static string EnvConfigMapName(ServiceSettings service) => $"{service.Name}-env";

    public static string SecretName(ServiceSettings service) => $"{service.Name}-secrets";

    public static string ConfigDirectory(ServiceSettings service) => $"/etc/{service.Name}";

    private V1Namespace Namespace(string name, bool production)
    {
        var mesh = injection.Namespace(name);
        var labels = Labels.Managed();
        // Pod Security Admission: enforced in prod; dev only warns and audits so experiments are not blocked.
        if (production)
        {
            labels["pod-security.kubernetes.io/enforce"] = "restricted";
            labels["pod-security.kubernetes.io/enforce-version"] = "latest";
        }

        labels["pod-security.kubernetes.io/warn"] = "restricted";
        labels["pod-security.kubernetes.io/audit"] = "restricted";
        foreach (var (key, value) in mesh.Labels)
        {
            labels[key] = value;
        }

        return new V1Namespace
        {
            ApiVersion = "v1",
            Kind = "Namespace",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = labels,
                Annotations = mesh.Annotations.IsEmpty ? null : mesh.Annotations.ToDictionary(),
            },
        };
    }

    private static V1ServiceAccount ServiceAccount(ServiceSettings service) => new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = Meta(service, service.ServiceAccount),
        // The mesh identity comes from this account; the API token is only mounted for services that call the API.
        AutomountServiceAccountToken = service.AutomountServiceAccountToken,
    };

    private static V1ConfigMap ConfigMap(ServiceSettings service) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = Meta(service, ConfigMapName(service)),
        Data = new Dictionary<string, string> { [ConfigFileName] = Edn.Write(service.Config.Edn) },
    };

    private static V1ConfigMap EnvConfigMap(ServiceSettings service) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = Meta(service, EnvConfigMapName(service)),
        Data = service.Config.Environment.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
    };

    private V1Deployment Deployment(ServiceSettings service, WorkloadVersion version, V1ConfigMap config, V1ConfigMap env, bool production)
    {
        var selector = new Dictionary<string, string>(Labels.Selector(service)) { [Labels.Version] = version.Name };
        var podLabels = Labels.For(service);
        podLabels[Labels.Version] = version.Name;
        var mesh = injection.PodTemplate(service);
        foreach (var (key, value) in mesh.Labels)
        {
            podLabels[key] = value;
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kubectl.kubernetes.io/default-container"] = service.Name,
            // Read by Prometheus and by the meshes' metrics merging/scraping.
            ["prometheus.io/scrape"] = "true",
            ["prometheus.io/port"] = service.Port(service.Metrics.Port).Port.ToString(CultureInfo.InvariantCulture),
            ["prometheus.io/path"] = service.Metrics.Path,
            // Environment variables are read once at start, so a change always rolls the pods.
            [EnvChecksumAnnotation] = Checksum(env.Data),
        };
        if (service.Config.Reload == ConfigReload.Restart)
        {
            annotations[ConfigChecksumAnnotation] = Checksum(config.Data);
        }

        foreach (var (key, value) in mesh.Annotations)
        {
            annotations[key] = value;
        }

        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(service, version.DeploymentName, version.Name),
            Spec = new V1DeploymentSpec
            {
                // With an autoscaler the replica count belongs to it; setting it here would fight every scale-up.
                Replicas = service.Autoscaling.Enabled && version.Name == Labels.Stable ? null : version.Replicas,
                RevisionHistoryLimit = 5,
                Selector = new V1LabelSelector { MatchLabels = selector },
                Strategy = new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = "25%", MaxUnavailable = 0 },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = podLabels, Annotations = annotations },
                    Spec = PodSpec(service, version, production),
                },
            },
        };
    }

    private static V1PodSpec PodSpec(ServiceSettings service, WorkloadVersion version, bool production) => new()
    {
        ServiceAccountName = service.ServiceAccount,
        AutomountServiceAccountToken = service.AutomountServiceAccountToken,
        TerminationGracePeriodSeconds = PreStopSeconds + 35,
        SecurityContext = new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = RunAsUser,
            RunAsGroup = RunAsUser,
            FsGroup = RunAsUser,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        },
        Containers = [Container(service, version)],
        Volumes =
        [
            new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = "256Mi" } },
            new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = ConfigMapName(service) } },
        ],
        TopologySpreadConstraints = production
            ?
            [
                Spread(service, version, "topology.kubernetes.io/zone"),
                Spread(service, version, "kubernetes.io/hostname"),
            ]
            : null,
    };

    private static V1TopologySpreadConstraint Spread(ServiceSettings service, WorkloadVersion version, string topologyKey) => new()
    {
        MaxSkew = 1,
        TopologyKey = topologyKey,
        // Prefer spreading but still schedule when a zone or node is short: losing capacity is worse than skew.
        WhenUnsatisfiable = "ScheduleAnyway",
        LabelSelector = new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string>(Labels.Selector(service)) { [Labels.Version] = version.Name },
        },
    };

    private static V1Container Container(ServiceSettings service, WorkloadVersion version)
    {
        var healthPort = service.Health.Port;
        var env = new List<V1EnvVar>
        {
            new() { Name = "JAVA_TOOL_OPTIONS", Value = JavaToolOptions(service) },
            new() { Name = "CONFIG_PATH", Value = $"{ConfigDirectory(service)}/{ConfigFileName}" },
            new() { Name = "SERVICE_VERSION", Value = version.Name },
        };
        if (service.Nrepl.Enabled)
        {
            env.Add(new V1EnvVar { Name = "NREPL_PORT", Value = service.Nrepl.Port.ToString(CultureInfo.InvariantCulture) });
        }

        env.AddRange(service.Secrets.Select(s => new V1EnvVar
        {
            Name = s.Name,
            ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName(service), Key = s.Name } },
        }));

        var ports = service.Ports
            .Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.Port, Protocol = "TCP" })
            .ToList();
        if (service.Nrepl.Enabled)
        {
            ports.Add(new V1ContainerPort { Name = "nrepl", ContainerPort = service.Nrepl.Port, Protocol = "TCP" });
        }

        var memory = new ResourceQuantity(service.Resources.Memory);
        var limits = new Dictionary<string, ResourceQuantity> { ["memory"] = memory };
        if (service.Resources.CpuLimit is { } cpuLimit)
        {
            limits["cpu"] = new ResourceQuantity(cpuLimit);
        }

        return new V1Container
        {
            Name = service.Name,
            Image = version.Image.ToString(),
            ImagePullPolicy = "IfNotPresent",
            Ports = ports,
            Env = env,
            EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = EnvConfigMapName(service) } }],
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(service.Resources.Cpu), ["memory"] = memory },
                Limits = limits,
            },
            // The JVM and Clojure can take tens of seconds to load: liveness waits until startup succeeded once.
            StartupProbe = Probe(service.Health.ReadinessPath, healthPort, periodSeconds: 5, failureThreshold: Math.Max(1, service.Health.StartupSeconds / 5)),
            ReadinessProbe = Probe(service.Health.ReadinessPath, healthPort, periodSeconds: 10, failureThreshold: 3),
            LivenessProbe = Probe(service.Health.LivenessPath, healthPort, periodSeconds: 20, failureThreshold: 3),
            Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = PreStopSeconds } } },
            SecurityContext = new V1SecurityContext
            {
                AllowPrivilegeEscalation = false,
                ReadOnlyRootFilesystem = true,
                RunAsNonRoot = true,
                Capabilities = new V1Capabilities { Drop = ["ALL"] },
                SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
            },
            VolumeMounts =
            [
                new V1VolumeMount { Name = "tmp", MountPath = "/tmp" },
                // Mounted as a directory, never with subPath: kubelet then swaps in a changed ConfigMap in place.
                new V1VolumeMount { Name = "config", MountPath = ConfigDirectory(service), ReadOnlyProperty = true },
            ],
        };
    }

    /// <summary>Heap sized from the container's memory limit, and a JVM that dies (and restarts) rather than limps on OOM.</summary>
    public static string JavaToolOptions(ServiceSettings service) => string.Join(' ',
        new[]
        {
            $"-XX:MaxRAMPercentage={service.Jvm.MaxRamPercentage.ToString(CultureInfo.InvariantCulture)}.0",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.io.tmpdir=/tmp",
        }.Concat(service.Jvm.Options));

    private static V1Probe Probe(string path, string port, int periodSeconds, int failureThreshold) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = port },
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
        TimeoutSeconds = 3,
    };

    private static V1Service Service(ServiceSettings service) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Meta(service, service.Name),
        Spec = new V1ServiceSpec
        {
            // All versions: the mesh splits traffic between stable and canary, not the Service.
            Selector = Labels.Selector(service),
            // The nREPL port is deliberately absent: it is reachable only by port-forward.
            Ports = [.. service.Ports.Select(p => new V1ServicePort
            {
                Name = p.Name,
                Port = p.Port,
                TargetPort = p.Name,
                Protocol = "TCP",
                AppProtocol = p.AppProtocol,
            })],
        },
    };

    private static V1PodDisruptionBudget DisruptionBudget(ServiceSettings service) => new()
    {
        ApiVersion = "policy/v1",
        Kind = "PodDisruptionBudget",
        Metadata = Meta(service, service.Name),
        Spec = new V1PodDisruptionBudgetSpec
        {
            MaxUnavailable = 1,
            Selector = new V1LabelSelector { MatchLabels = Labels.Selector(service) },
            // Pods that never became ready must not block node drains.
            UnhealthyPodEvictionPolicy = "AlwaysAllow",
        },
    };

    private static V2HorizontalPodAutoscaler Autoscaler(ServiceSettings service) => new()
    {
        ApiVersion = "autoscaling/v2",
        Kind = "HorizontalPodAutoscaler",
        Metadata = Meta(service, service.Name),
        Spec = new V2HorizontalPodAutoscalerSpec
        {
            ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = service.Name },
            MinReplicas = service.Autoscaling.MinReplicas,
            MaxReplicas = service.Autoscaling.MaxReplicas,
            Metrics =
            [
                new V2MetricSpec
                {
                    Type = "Resource",
                    Resource = new V2ResourceMetricSource
                    {
                        Name = "cpu",
                        Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = service.Autoscaling.TargetCpuUtilization },
                    },
                },
            ],
            // A JVM burns CPU while it warms up; do not scale down on the dip that follows.
            Behavior = new V2HorizontalPodAutoscalerBehavior
            {
                ScaleDown = new V2HPAScalingRules { StabilizationWindowSeconds = 300 },
            },
        },
    };

    private static V1ObjectMeta Meta(ServiceSettings service, string name, string? version = null)
    {
        var labels = Labels.For(service);
        if (version is not null)
        {
            labels[Labels.Version] = version;
        }

        return new V1ObjectMeta { Name = name, NamespaceProperty = service.Namespace, Labels = labels };
    }

    /// <summary>SHA-256 over the sorted entries: the same data always gives the same checksum.</summary>
    public static string Checksum(IDictionary<string, string>? data)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in (data ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('\0').Append(value).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
