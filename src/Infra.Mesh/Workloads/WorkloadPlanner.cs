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
    public const string NreplPortName = "nrepl";
    public const string ConfigTrackingAnnotation = "flagger.app/config-tracking";

    /// <summary>Non-root user the images run as; numeric so runAsNonRoot can be verified by the kubelet.</summary>
    private const long RunAsUser = 10001;

    private const int StartupProbePeriodSeconds = 5;

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        foreach (var ns in settings.Namespaces)
        {
            plan.Add(StageKind.Namespaces, Namespace(ns, settings.IsProduction));
        }

        plan.AddEach(settings.Services, (sink, service) =>
        {
            sink.Add(StageKind.Workloads, ServiceAccount(service));
            var config = ConfigMap(service, settings.IsProgressive(service));
            sink.Add(StageKind.Workloads, config);
            var env = EnvConfigMap(service);
            if (env is not null)
            {
                sink.Add(StageKind.Workloads, env);
            }

            if (!service.Secrets.IsEmpty)
            {
                sink.Add(StageKind.Workloads, new SecretItem(service.Namespace, SecretName(service), "Opaque",
                    [.. service.Secrets.Select(s => new SecretEntry(s.Name, new ConfigSecret(s.ConfigKey)))])
                {
                    Labels = Labels.For(service).ToImmutableSortedDictionary(StringComparer.Ordinal),
                });
            }

            var progressive = settings.IsProgressive(service);
            foreach (var version in WorkloadVersion.Of(service))
            {
                var deployment = new ManifestItem(Deployment(service, version, config, env, settings.IsProduction, progressive));
                // Flagger scales its target to zero between rollouts and back up for each analysis
                // (fluxcd/flagger v1.44.0 pkg/canary/deployment_controller.go ScaleToZero, ScaleFromZero); a deploy must not undo that.
                sink.Add(StageKind.Workloads, progressive ? deployment with { IgnoreChanges = ["spec.replicas"] } : deployment);
                if (version.Scaling is { } scaling)
                {
                    sink.Add(StageKind.Workloads, Autoscaler(service, version, scaling));
                }
            }

            // Under progressive delivery Flagger owns the Service <service>: it points its selector at the primary pods and
            // keeps it so (fluxcd/flagger v1.44.0 pkg/router/kubernetes_default.go Reconcile), so planning it too would fight.
            if (!progressive)
            {
                sink.Add(StageKind.Workloads, Service(service, injection));
            }

            if (settings.IsProduction)
            {
                sink.Add(StageKind.Workloads, DisruptionBudget(service, settings));
            }
        });
    }

    public static string ConfigMapName(ServiceSettings service) => $"{service.Name}-config";

    public static string EnvConfigMapName(ServiceSettings service) => $"{service.Name}-env";

    public static string SecretName(ServiceSettings service) => $"{service.Name}-secrets";

    public static string ConfigDirectory(ServiceSettings service) => $"/etc/{service.Name}";

    private V1Namespace Namespace(string name, bool production)
    {
        var mesh = injection.Namespace(name);
        var labels = Labels.Managed();
        // Pod Security Admission: enforced in prod; elsewhere it only warns and audits so experiments are not blocked.
        if (production)
        {
            labels[Labels.PodSecurityEnforce] = "restricted";
            labels[Labels.PodSecurityEnforceVersion] = "latest";
        }

        labels[Labels.PodSecurityWarn] = "restricted";
        labels[Labels.PodSecurityAudit] = "restricted";
        foreach (var (key, value) in mesh.Labels)
        {
            labels[key] = value;
        }

        return new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = labels,
                Annotations = mesh.Annotations.IsEmpty ? null : mesh.Annotations.ToDictionary(),
            },
        }.WithApiVersionAndKind();
    }

    private static V1ServiceAccount ServiceAccount(ServiceSettings service) => new V1ServiceAccount
    {
        Metadata = Labels.Meta(service, service.ServiceAccount),
        // The mesh identity comes from this account; the API token is only mounted for services that call the API.
        AutomountServiceAccountToken = service.AutomountServiceAccountToken,
    }.WithApiVersionAndKind();

    /// <summary>
    /// Flagger tracks the ConfigMaps a target uses: a change starts a rollout, and the primary runs on a copy
    /// (<c>&lt;name&gt;-primary</c>) updated only on promotion. That is right for configuration read at start, but in
    /// <c>live</c> mode the running pods must see the change, so there this ConfigMap is left untracked and the primary
    /// mounts it itself (fluxcd/flagger v1.44.0 pkg/canary/config_tracker.go, annotation <c>flagger.app/config-tracking</c>).
    /// </summary>
    private static V1ConfigMap ConfigMap(ServiceSettings service, bool progressive)
    {
        var metadata = Labels.Meta(service, ConfigMapName(service));
        if (progressive && service.Config.Reload == ConfigReload.Live)
        {
            metadata.Annotations = new Dictionary<string, string> { [ConfigTrackingAnnotation] = "disabled" };
        }

        return new V1ConfigMap
        {
            Metadata = metadata,
            Data = new Dictionary<string, string> { [ConfigFileName] = Edn.Write(service.Config.Edn) },
        }.WithApiVersionAndKind();
    }

    private static V1ConfigMap? EnvConfigMap(ServiceSettings service) => service.Config.Environment.IsEmpty
        ? null
        : new V1ConfigMap
        {
            Metadata = Labels.Meta(service, EnvConfigMapName(service)),
            Data = service.Config.Environment.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
        }.WithApiVersionAndKind();

    private V1Deployment Deployment(ServiceSettings service, WorkloadVersion version, V1ConfigMap config, V1ConfigMap? env, bool production, bool progressive)
    {
        var selector = Labels.Selector(service, version.Name);
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
            // Mesh-neutral scrape settings: Istio's metrics merging rewrites them to its agent, which scrapes the app here;
            // with Linkerd (whose viz Prometheus scrapes only proxies) a cluster Prometheus reads them through the proxy.
            ["prometheus.io/scrape"] = "true",
            ["prometheus.io/port"] = service.Port(service.Metrics.Port).Port.ToString(CultureInfo.InvariantCulture),
            ["prometheus.io/path"] = service.Metrics.Path,
        };
        // A changed pod template rolls the pods. Environment variables are read once at start, so their checksum is always
        // there; config.edn's only in restart mode, because in live mode kubelet updates the mounted file in running pods.
        if (env is not null)
        {
            annotations[EnvChecksumAnnotation] = Checksum(env.Data);
        }

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
            Metadata = Labels.Meta(service, version.DeploymentName, version.Name),
            Spec = new V1DeploymentSpec
            {
                // With an autoscaler the replica count belongs to it; setting it here would undo every scale on each deploy.
                Replicas = version.Scaling is null ? version.Replicas : null,
                RevisionHistoryLimit = 5,
                Selector = new V1LabelSelector { MatchLabels = selector },
                Strategy = new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    // New pods start slowly: keep every old pod serving until its replacement is ready.
                    RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = "25%", MaxUnavailable = 0 },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = podLabels, Annotations = annotations },
                    Spec = PodSpec(service, version, env, production, progressive),
                },
            },
        }.WithApiVersionAndKind();
    }

    /// <summary>
    /// Termination, app side (keeping the proxy up until the app is done is the mesh's part, through <see cref="IInjection"/>):
    /// 1. the pod is marked terminating and endpoints, kube-proxy and every mesh proxy start dropping it, which takes seconds;
    /// 2. meanwhile preStop pauses <see cref="ShutdownSettings.PreStopSeconds"/>, so requests still routed here are served;
    /// 3. SIGTERM: the app stops accepting, finishes in-flight requests (e.g. Jetty's graceful stop) and exits;
    /// 4. <see cref="ShutdownSettings.TerminationGracePeriodSeconds"/> after step 1, preStop included, the kubelet kills it.
    /// </summary>
    private static V1PodSpec PodSpec(ServiceSettings service, WorkloadVersion version, V1ConfigMap? env, bool production, bool progressive) => new()
    {
        ServiceAccountName = service.ServiceAccount,
        AutomountServiceAccountToken = service.AutomountServiceAccountToken,
        // Kubernetes would add a variable per Service in the namespace (ORDERS_PORT=tcp://...), which shadows config read with #env.
        EnableServiceLinks = false,
        TerminationGracePeriodSeconds = service.Shutdown.TerminationGracePeriodSeconds,
        SecurityContext = new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = RunAsUser,
            RunAsGroup = RunAsUser,
            FsGroup = RunAsUser,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        },
        Containers = [Container(service, version, env, progressive)],
        Volumes =
        [
            // The only writable path: JVM perf data, Jetty and Clojure temp files.
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
        LabelSelector = new V1LabelSelector { MatchLabels = Labels.Selector(service, version.Name) },
        // Spread each rollout's new ReplicaSet on its own, not against the old pods that are about to go.
        MatchLabelKeys = ["pod-template-hash"],
    };

    private static V1Container Container(ServiceSettings service, WorkloadVersion version, V1ConfigMap? env, bool progressive)
    {
        var variables = new List<V1EnvVar>
        {
            new() { Name = PlatformEnvironment.JavaToolOptions, Value = JavaToolOptions.For(service) },
            new() { Name = PlatformEnvironment.ConfigPath, Value = $"{ConfigDirectory(service)}/{ConfigFileName}" },
            new() { Name = PlatformEnvironment.Version, Value = version.Name },
        };
        var ports = service.Ports
            .Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.Port, Protocol = "TCP" })
            .ToList();
        if (service.Nrepl.Enabled)
        {
            // Loopback only: reachable through kubectl port-forward, never from another pod. The mesh excludes the port and
            // the Service never lists it; declaring it here only names it for port-forward.
            variables.Add(new V1EnvVar { Name = PlatformEnvironment.NreplPort, Value = service.Nrepl.Port.ToString(CultureInfo.InvariantCulture) });
            variables.Add(new V1EnvVar { Name = PlatformEnvironment.NreplBind, Value = "127.0.0.1" });
            // Flagger's port discovery puts every declared container port on the Services it creates
            // (fluxcd/flagger v1.44.0 pkg/canary/util.go getPorts); port-forward takes the number just as well.
            if (!progressive)
            {
                ports.Add(new V1ContainerPort { Name = NreplPortName, ContainerPort = service.Nrepl.Port, Protocol = "TCP" });
            }
        }

        variables.AddRange(service.Secrets.Select(s => new V1EnvVar
        {
            Name = s.Name,
            ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName(service), Key = s.Name } },
        }));

        var memory = new ResourceQuantity(service.Resources.Memory);
        var limits = new Dictionary<string, ResourceQuantity> { ["memory"] = memory };
        if (service.Resources.CpuLimit is { } cpuLimit)
        {
            limits["cpu"] = new ResourceQuantity(cpuLimit);
        }

        var health = service.Health;
        var healthPort = service.Port(health.Port);
        return new V1Container
        {
            Name = service.Name,
            Image = version.Image.ToString(),
            ImagePullPolicy = "IfNotPresent",
            Ports = ports,
            Env = variables,
            EnvFrom = env is null ? null : [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = env.Metadata.Name } }],
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(service.Resources.Cpu), ["memory"] = memory },
                // Memory limit = request: the heap is sized from the limit, and a pod never relies on memory it was not promised.
                Limits = limits,
            },
            // The JVM and Clojure can take tens of seconds to load; liveness and readiness only start once this passed, and it
            // checks the liveness path because "started" means the process serves, not that its dependencies are up.
            StartupProbe = Probe(health.LivenessPath, healthPort, StartupProbePeriodSeconds,
                (health.StartupSeconds + StartupProbePeriodSeconds - 1) / StartupProbePeriodSeconds),
            ReadinessProbe = Probe(health.ReadinessPath, healthPort, periodSeconds: 5, failureThreshold: 3),
            // Generous: a restart costs a slow start, so only a JVM that stayed unresponsive for a minute is killed.
            LivenessProbe = Probe(health.LivenessPath, healthPort, periodSeconds: 20, failureThreshold: 3),
            // The sleep action needs no shell or sleep binary in the image (distroless JREs have neither); a service without
            // traffic to drain may turn the pause off.
            Lifecycle = service.Shutdown.PreStopSeconds > 0
                ? new V1Lifecycle { PreStop = new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = service.Shutdown.PreStopSeconds } } }
                : null,
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
                // Mounted as a directory, never with subPath: only then does kubelet swap a changed ConfigMap into running pods.
                new V1VolumeMount { Name = "config", MountPath = ConfigDirectory(service), ReadOnlyProperty = true },
            ],
        };
    }

    /// <summary>
    /// A probe in the port's own protocol: HTTP GET on the path for HTTP ports, Kubernetes' native gRPC health check
    /// (grpc.health.v1) for gRPC ports, a TCP connect for TCP ports. Istio rewrites all three to its agent
    /// (istio/istio 1.30.3 pkg/kube/inject/app_probe.go); Linkerd only authorizes httpGet probes (rule INFRA104).
    /// </summary>
    private static V1Probe Probe(string path, ServicePort port, int periodSeconds, int failureThreshold) => new()
    {
        HttpGet = port.Protocol is PortProtocol.Http or PortProtocol.Http2 ? new V1HTTPGetAction { Path = path, Port = port.Name } : null,
        Grpc = port.Protocol == PortProtocol.Grpc ? new V1GRPCAction { Port = port.Port } : null,
        TcpSocket = port.Protocol == PortProtocol.Tcp ? new V1TCPSocketAction { Port = port.Name } : null,
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
        TimeoutSeconds = 3,
    };

    private static V1Service Service(ServiceSettings service, IInjection injection) => new V1Service
    {
        Metadata = ServiceMeta(service, injection.Service(service)),
        Spec = new V1ServiceSpec
        {
            // All versions: the mesh splits traffic between stable and canary, not the Service.
            Selector = Labels.Selector(service),
            Ports = ServicePorts(service, injection),
        },
    }.WithApiVersionAndKind();

    private static V1ObjectMeta ServiceMeta(ServiceSettings service, MeshMetadata mesh)
    {
        var meta = Labels.Meta(service, service.Name);
        foreach (var (key, value) in mesh.Labels)
        {
            meta.Labels[key] = value;
        }

        meta.Annotations = mesh.Annotations.IsEmpty ? null : mesh.Annotations.ToDictionary();
        return meta;
    }

    /// <summary>
    /// The catalog's ports, named and with the <c>appProtocol</c> the mesh reads the protocol from. The nREPL port is
    /// deliberately absent: it is reachable only by port-forward.
    /// </summary>
    public static List<V1ServicePort> ServicePorts(ServiceSettings service, IInjection injection) =>
    [
        .. service.Ports.Select(p => new V1ServicePort
        {
            Name = p.Name,
            Port = p.Port,
            TargetPort = p.Name,
            Protocol = "TCP",
            AppProtocol = injection.AppProtocol(p),
        }),
    ];

    /// <summary>
    /// One budget over all versions, like the Service: voluntary evictions take at most one pod of the app at a time.
    /// maxUnavailable rather than minAvailable, so a single-replica service can still be drained.
    /// </summary>
    private static V1PodDisruptionBudget DisruptionBudget(ServiceSettings service, StackSettings settings) => new V1PodDisruptionBudget
    {
        Metadata = Labels.Meta(service, service.Name),
        Spec = new V1PodDisruptionBudgetSpec
        {
            MaxUnavailable = 1,
            // Under progressive delivery, the primary's pods and the canary's together.
            Selector = new V1LabelSelector { MatchLabels = FlaggerNames.PolicySelector(service, settings) },
            // Pods that never became ready must not block node drains.
            UnhealthyPodEvictionPolicy = "AlwaysAllow",
        },
    }.WithApiVersionAndKind();

    private static V2HorizontalPodAutoscaler Autoscaler(ServiceSettings service, WorkloadVersion version, ReplicaRange scaling) => new V2HorizontalPodAutoscaler
    {
        Metadata = Labels.Meta(service, version.DeploymentName, version.Name),
        Spec = new V2HorizontalPodAutoscalerSpec
        {
            ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = $"{V1Deployment.KubeGroup}/{V1Deployment.KubeApiVersion}", Kind = V1Deployment.KubeKind, Name = version.DeploymentName },
            MinReplicas = scaling.Min,
            MaxReplicas = scaling.Max,
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
    }.WithApiVersionAndKind();

    /// <summary>SHA-256 over the sorted entries: the same data always gives the same checksum.</summary>
    public static string Checksum(IDictionary<string, string> data)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in data.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('\0').Append(value).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
