using System.Text.Json.Nodes;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Istio;

/// <summary>Values of one istiod revision: its size per environment and the mesh configuration it serves to every proxy.</summary>
public static class IstiodValues
{
    /// <summary>
    /// Seconds a proxy keeps draining after SIGTERM before it may exit: the application's preStop pause
    /// (WorkloadPlanner keeps serving 10 s after termination starts), so in-flight JVM requests finish through it.
    /// </summary>
    public const string MinimumDrainDuration = "10s";

    private static readonly string[] SpreadTopologies = ["topology.kubernetes.io/zone", "kubernetes.io/hostname"];

    public static JsonObject For(StackSettings settings, IstioRevision revision, bool gatewayPlanned)
    {
        var istio = settings.Istio;
        var size = istio.Istiod;
        var values = new JsonObject
        {
            ["revision"] = revision.Name,
            // Only the tagged revision answers for the tag; the others inject pods that name them explicitly.
            ["revisionTags"] = revision.Name == istio.TagRevision ? new JsonArray(istio.Tag) : new JsonArray(),
            ["autoscaleEnabled"] = size.Autoscaled,
            ["resources"] = new JsonObject
            {
                ["requests"] = new JsonObject { ["cpu"] = size.Cpu, ["memory"] = size.Memory },
                ["limits"] = new JsonObject { ["cpu"] = size.CpuLimit, ["memory"] = size.MemoryLimit },
            },
            // Must agree with whether the cni release is installed: with it, pods get a non-privileged istio-validation init container.
            ["cni"] = new JsonObject { ["enabled"] = istio.Cni },
            ["meshConfig"] = MeshConfig(settings, gatewayPlanned),
        };
        if (istio.Ambient)
        {
            // PILOT_ENABLE_AMBIENT, and HBONE for every proxy (ISTIO_META_ENABLE_HBONE), so the ingress gateway and the
            // waypoints reach ambient pods through ztunnel (profiles/profile-ambient.yaml). Helm merges our meshConfig
            // over the profile's key by key (templates/zzz_profile.yaml), so both proxyMetadata sets survive.
            values["profile"] = IstioControlPlanePlanner.AmbientProfile;
        }

        if (size.Autoscaled)
        {
            values["autoscaleMin"] = size.MinReplicas;
            values["autoscaleMax"] = size.MaxReplicas;
        }
        else
        {
            values["replicaCount"] = size.MinReplicas;
        }

        if (size.MinReplicas > 1)
        {
            var pods = new Dictionary<string, string> { ["app"] = "istiod", ["istio.io/rev"] = revision.Name };
            values["topologySpreadConstraints"] = Spread(pods);
            // The chart only creates the budget when more than one replica runs; say so explicitly.
            values["global"] = new JsonObject { ["defaultPodDisruptionBudget"] = new JsonObject { ["enabled"] = true } };
            values["pdb"] = new JsonObject { ["minAvailable"] = 1, ["unhealthyPodEvictionPolicy"] = "AlwaysAllow" };
        }

        return values;
    }

    /// <summary>Spread over zones and nodes, but still schedule when a zone is short: losing capacity is worse than skew.</summary>
    public static JsonArray Spread(IReadOnlyDictionary<string, string> podLabels) =>
        new([.. SpreadTopologies.Select(key => (JsonNode)new JsonObject
        {
            ["maxSkew"] = 1,
            ["topologyKey"] = key,
            ["whenUnsatisfiable"] = "ScheduleAnyway",
            ["labelSelector"] = new JsonObject
            {
                ["matchLabels"] = new JsonObject([.. podLabels.Select(l => KeyValuePair.Create<string, JsonNode?>(l.Key, l.Value))]),
            },
        })]);

    /// <summary>The MeshConfig (istio.mesh.v1alpha1) every proxy of this revision receives.</summary>
    private static JsonObject MeshConfig(StackSettings settings, bool gatewayPlanned)
    {
        var meshConfig = new JsonObject
        {
            ["defaultConfig"] = new JsonObject
            {
                ["proxyMetadata"] = new JsonObject
                {
                    // On shutdown the proxy waits for the app's connections to finish instead of a fixed 5 s.
                    ["EXIT_ON_ZERO_ACTIVE_CONNECTIONS"] = "true",
                    ["MINIMUM_DRAIN_DURATION"] = MinimumDrainDuration,
                },
            },
            // Metrics merging: Prometheus scrapes the app's and the proxy's metrics together on port 15020.
            ["enablePrometheusMerge"] = true,
            // Read by the built-in "envoy" access log provider that the Telemetry resource enables.
            ["accessLogEncoding"] = "JSON",
            ["outboundTrafficPolicy"] = new JsonObject { ["mode"] = settings.Istio.OutboundTrafficPolicy },
            ["discoverySelectors"] = new JsonArray(new JsonObject
            {
                ["matchExpressions"] = new JsonArray(new JsonObject
                {
                    ["key"] = "kubernetes.io/metadata.name",
                    ["operator"] = "In",
                    ["values"] = new JsonArray([.. MeshNamespaces(settings, gatewayPlanned).Select(ns => JsonValue.Create(ns))]),
                }),
            }),
        };
        if (!settings.Istio.Ambient)
        {
            // A JVM service may call out during start-up: its proxy must be ready before the app container starts.
            // Ambient pods have no proxy of their own: the CNI plugin captures them before any container starts
            // (cni/pkg/plugin/plugin.go CmdAdd fails the pod sandbox when the node agent cannot).
            meshConfig["defaultConfig"]!.AsObject().Insert(0, "holdApplicationUntilProxyStarts", true);
        }

        if (settings.Observability.Jaeger)
        {
            meshConfig["extensionProviders"] = new JsonArray(new JsonObject
            {
                ["name"] = IstioObservabilityPlanner.TracingProvider,
                ["opentelemetry"] = new JsonObject
                {
                    ["service"] = IstioObservabilityPlanner.JaegerCollectorHost,
                    ["port"] = IstioObservabilityPlanner.JaegerOtlpGrpcPort,
                },
            });
        }

        return meshConfig;
    }

    /// <summary>
    /// The namespaces istiod watches: its own, the ingress gateway's, the application namespaces, and those of
    /// in-cluster Services a service declares in <c>externalHosts</c> (unwatched, they are not in the registry and
    /// REGISTRY_ONLY drops the traffic), and <c>default</c>, home of the API server's <c>kubernetes</c> Service, when
    /// a service mounts a token to call it.
    /// </summary>
    public static IEnumerable<string> MeshNamespaces(StackSettings settings, bool gatewayPlanned) =>
        new[] { IstioNames.RootNamespace }
            .Concat(gatewayPlanned ? [settings.Ingress.Namespace] : [])
            .Concat(settings.Namespaces)
            .Concat(settings.Services.Any(s => s.AutomountServiceAccountToken) ? [IstioNames.KubernetesApiNamespace] : [])
            .Concat(settings.Services.SelectMany(s => s.ExternalHosts).Select(h => h.ClusterNamespace).OfType<string>())
            // The load tester is meshed there, and its PeerAuthentication must be read.
            .Concat(settings.Delivery == DeliveryMode.Progressive ? [FlaggerNames.Namespace] : [])
            .Distinct(StringComparer.Ordinal);
}
