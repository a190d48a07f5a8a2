using System.Text.Json.Nodes;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Observability;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using k8s.Models;

namespace Infra.Mesh.Istio;

/// <summary>
/// Mesh-wide telemetry (metrics, trace sampling, access logs) and the addons a stack asks for, installed into
/// the root namespace like Istio's own samples/addons, so the Sidecar egress host <c>istio-system/*</c> covers them.
/// </summary>
/// <remarks>
/// Addon chart versions are the ones Istio 1.30.3 renders its samples/addons from (manifests/addons/gen.sh):
/// kiali-server 2.26.0, prometheus 28.13.0, grafana 9.2.2. Istio ships Jaeger as a plain manifest, so Jaeger is
/// the jaeger chart 4.11.1 (Jaeger v2 all-in-one, in-memory storage), the newest tag of jaegertracing/helm-charts.
/// Only the keys below are set; none of these charts is in the offline reference, so their keys were checked
/// against the charts' values.yaml at those tags by hand, except where a comment says otherwise.
/// </remarks>
public sealed class IstioObservabilityPlanner : IObservabilityPlanner
{
    public const string TracingProvider = "jaeger";
    public const int JaegerOtlpGrpcPort = 4317;
    public const string KialiSigningKeySlot = "kiali-signing-key";
    public const string GrafanaAdminPasswordSlot = "grafana-admin-password";

    public static readonly Addon Prometheus = new("prometheus", "prometheus", "https://prometheus-community.github.io/helm-charts", "28.13.0");
    public static readonly Addon Grafana = new("grafana", "grafana", "https://grafana.github.io/helm-charts", "9.2.2");
    public static readonly Addon Kiali = new("kiali", "kiali-server", "https://kiali.org/helm-charts", "2.26.0");
    public static readonly Addon Jaeger = new("jaeger", "jaeger", "https://jaegertracing.github.io/helm-charts", "4.11.1");

    /// <summary>The chart names its Service after the release.</summary>
    public static readonly string JaegerCollectorHost = Names.ClusterHost(Jaeger.Release, IstioSettings.SystemNamespace);

    /// <summary>An addon chart: release name (also its Service name), chart, repository, pinned version.</summary>
    public sealed record Addon(string Release, string Chart, string Repository, string Version);

    /// <summary>Where Grafana finds Prometheus; Kiali's default points here too (the name and port Istio's docs use).</summary>
    private const string PrometheusUrl = "http://prometheus." + IstioSettings.SystemNamespace + ":9090";

    public void Plan(PlanBuilder plan)
    {
        var observability = plan.Settings.Observability;
        var ambient = plan.Settings.Istio.Ambient;
        plan.Add(StageKind.Policies, MeshTelemetry(observability));

        if (observability.Prometheus)
        {
            plan.Add(StageKind.GatewaysAndAddons, Release(Prometheus, PrometheusValues(plan.Settings.IsProduction, ambient)));
        }

        if (observability.Grafana)
        {
            var password = plan.AddSlot(new RandomSecretSlot(GrafanaAdminPasswordSlot, 32));
            plan.Add(StageKind.GatewaysAndAddons, Release(Grafana, GrafanaValues(ambient)) with
            {
                // adminPassword is documented (commented out) in the chart's values.yaml; without it the chart
                // generates a new password on every render.
                SecretValues = [new SecretValue("adminPassword", new GeneratedSecret(password.Id, SlotOutput.Value))],
            });
        }

        if (observability.Kiali)
        {
            // Kiali signs login tokens with this key (AES: 16, 24 or 32 characters); left empty, the chart
            // generates a new one on every render and logs everyone out.
            var key = plan.AddSlot(new RandomSecretSlot(KialiSigningKeySlot, 32));
            plan.Add(StageKind.GatewaysAndAddons, Release(Kiali, KialiValues(observability.Jaeger, ambient)) with
            {
                SecretValues = [new SecretValue("login_token.signing_key", new GeneratedSecret(key.Id, SlotOutput.Value))],
            });
        }

        if (observability.Jaeger)
        {
            // Chart defaults: one all-in-one pod with in-memory storage, OTLP on 4317 behind the "jaeger" Service.
            plan.Add(StageKind.GatewaysAndAddons, Release(Jaeger, []));
        }
    }

    private static HelmReleaseItem Release(Addon addon, JsonObject values) =>
        new(addon.Release, addon.Chart, addon.Repository, addon.Version, IstioSettings.SystemNamespace, values, []);

    private static Telemetry MeshTelemetry(ObservabilitySettings observability) =>
        new(
            new V1ObjectMeta { Name = "mesh-default", NamespaceProperty = IstioNames.RootNamespace, Labels = Labels.Managed() },
            new TelemetrySpec(
                [new MetricsConfig([new ProviderRef("prometheus")])],
                [new TracingConfig(observability.Jaeger ? [new ProviderRef(TracingProvider)] : null, observability.TraceSampling)],
                // "envoy" is Istio's built-in stdout provider; it formats with meshConfig.accessLogEncoding.
                [new AccessLoggingConfig([new ProviderRef("envoy")], Disabled: !observability.AccessLogs)]));

    /// <summary>Prometheus's ServiceAccount, named explicitly so its mesh identity is known (<see cref="PrometheusPrincipal"/>).</summary>
    public const string PrometheusServiceAccount = "prometheus";

    /// <summary>The identity Prometheus scrapes ambient pods with (through ztunnel, since its pod is enrolled).</summary>
    public static string PrometheusPrincipal => Security.CallGraph.Principal(IstioSettings.SystemNamespace, PrometheusServiceAccount);

    /// <param name="ambient">
    /// Ambient pods have no sidecar agent to merge and serve metrics on 15020: Prometheus scrapes the app's own port,
    /// which ztunnel guards like any other (STRICT mTLS refuses plain text, default deny an unknown identity). So its
    /// pod joins ambient itself (a pod label matches the cni chart's first <c>ambient.enablementSelectors</c> entry)
    /// and scrapes with its own identity, which each service's ztunnel policy allows on the metrics port.
    /// </param>
    private static JsonObject PrometheusValues(bool production, bool ambient)
    {
        var server = new JsonObject
        {
            // The names Kiali, Grafana and Istio's docs expect: Service "prometheus" on port 9090.
            ["fullnameOverride"] = "prometheus",
            ["service"] = new JsonObject { ["servicePort"] = 9090 },
        };
        if (!production)
        {
            server["persistentVolume"] = new JsonObject { ["enabled"] = false };
        }

        var values = new JsonObject
        {
            ["server"] = server,
            // Mesh metrics only: alerting and the push gateway are not part of this stack.
            ["alertmanager"] = new JsonObject { ["enabled"] = false },
            ["prometheus-pushgateway"] = new JsonObject { ["enabled"] = false },
        };
        if (ambient)
        {
            server["podLabels"] = AmbientPodLabels();
            values["serviceAccounts"] = new JsonObject { ["server"] = new JsonObject { ["name"] = PrometheusServiceAccount } };
        }

        return values;
    }

    /// <summary>
    /// Enrols one addon pod in ambient although istio-system is not (istiod must stay out). Grafana and Kiali query the
    /// enrolled Prometheus, and the mesh-wide PeerAuthentication (STRICT in prod) makes its ztunnel refuse plain text,
    /// so they join too and reach it over HBONE.
    /// </summary>
    private static JsonObject AmbientPodLabels() => new() { [Ambient.AmbientInjection.DataplaneModeLabel] = "ambient" };

    /// <param name="ambient">
    /// Enrol the pod (see <see cref="AmbientPodLabels"/>); <c>podLabels</c> is documented, commented out, in the chart's
    /// values.yaml and read by its deployment template.
    /// </param>
    private static JsonObject GrafanaValues(bool ambient)
    {
        var values = GrafanaDatasources();
        if (ambient)
        {
            values["podLabels"] = AmbientPodLabels();
        }

        return values;
    }

    private static JsonObject GrafanaDatasources() => new()
    {
        ["datasources"] = new JsonObject
        {
            ["datasources.yaml"] = new JsonObject
            {
                ["apiVersion"] = 1,
                ["datasources"] = new JsonArray(new JsonObject
                {
                    ["name"] = "Prometheus",
                    ["type"] = "prometheus",
                    ["url"] = PrometheusUrl,
                    ["access"] = "proxy",
                    ["isDefault"] = true,
                }),
            },
        },
    };

    private static JsonObject KialiValues(bool jaeger, bool ambient)
    {
        var values = KialiSettings(jaeger);
        if (ambient)
        {
            values["deployment"] = new JsonObject { ["pod_labels"] = AmbientPodLabels() };
        }

        return values;
    }

    private static JsonObject KialiSettings(bool jaeger) => new()
    {
        ["auth"] = new JsonObject { ["strategy"] = "token" },
        ["external_services"] = new JsonObject
        {
            // Not declared in the chart's values.yaml (passed through to Kiali's config; Istio's values-kiali.yaml
            // sets it too): Kiali does not start while tracing points at a missing service.
            ["tracing"] = jaeger
                ? new JsonObject { ["enabled"] = true, ["internal_url"] = $"http://{Jaeger.Release}.{IstioSettings.SystemNamespace}:16685", ["use_grpc"] = true }
                : new JsonObject { ["enabled"] = false },
        },
    };
}
