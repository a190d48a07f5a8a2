using System.Collections.Immutable;
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
/// Only the keys below are set; the tests check each against the chart's values.yaml at that tag
/// (../shared/reference/addons).
/// </remarks>
public sealed class IstioObservabilityPlanner : IObservabilityPlanner
{
    public const string TracingProvider = "jaeger";
    public const int JaegerOtlpGrpcPort = 4317;
    public const string KialiSigningKeySlot = "kiali-signing-key";
    public const string GrafanaAdminPasswordSlot = "grafana-admin-password";

    /// <summary>The Secret (in the root namespace) Grafana reads its admin password from.</summary>
    public const string GrafanaAdminSecret = "grafana-admin";

    public const string GrafanaPasswordKey = "admin-password";

    public static readonly Addon Prometheus = new("prometheus", "prometheus", "https://prometheus-community.github.io/helm-charts", "28.13.0");
    public static readonly Addon Grafana = new("grafana", "grafana", "https://grafana.github.io/helm-charts", "9.2.2");
    public static readonly Addon Kiali = new("kiali", "kiali-server", "https://kiali.org/helm-charts", "2.26.0");
    public static readonly Addon Jaeger = new("jaeger", "jaeger", "https://jaegertracing.github.io/helm-charts", "4.11.1");

    /// <summary>The chart names its Service after the release.</summary>
    public static readonly string JaegerCollectorHost = Names.ClusterHost(Jaeger.Release, IstioSettings.SystemNamespace);

    /// <summary>An addon chart: release name (also its Service name), chart, repository, pinned version.</summary>
    public sealed record Addon(string Release, string Chart, string Repository, string Version);

    /// <summary>Where Grafana finds Prometheus; Kiali's default points here too (the name and port Istio's docs use).</summary>
    public const string PrometheusUrl = "http://prometheus." + IstioSettings.SystemNamespace + ":9090";

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
            // The admin password lives in a Secret of ours that the chart reads through its declared
            // `admin.existingSecret` (values.yaml: adminPassword is only a comment there); left to the chart, it would
            // generate a new password on every render.
            var password = plan.AddSlot(new RandomSecretSlot(GrafanaAdminPasswordSlot, 32));
            var secret = plan.Add(StageKind.GatewaysAndAddons, new SecretItem(IstioSettings.SystemNamespace, GrafanaAdminSecret, "Opaque",
                [new SecretEntry(GrafanaPasswordKey, new GeneratedSecret(password.Id, SlotOutput.Value))])
            {
                Labels = Labels.Managed().ToImmutableSortedDictionary(StringComparer.Ordinal),
            });
            plan.Add(StageKind.GatewaysAndAddons, Release(Grafana, GrafanaValues(ambient)) with { DependsOn = [secret.Id] });
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

    /// <summary>
    /// Grafana values its chart's values.yaml does not declare (only as a comment), with the template that reads them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> GrafanaUndeclaredValues = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["podLabels"] = "grafana 9.2.2 templates/deployment.yaml (`with .Values.podLabels`)",
    };

    /// <param name="ambient">
    /// Enrol the pod (see <see cref="AmbientPodLabels"/>); <c>podLabels</c> is documented, commented out, in the chart's
    /// values.yaml and read by its deployment template (<see cref="GrafanaUndeclaredValues"/>).
    /// </param>
    private static JsonObject GrafanaValues(bool ambient)
    {
        var values = GrafanaSettings();
        if (ambient)
        {
            values["podLabels"] = AmbientPodLabels();
        }

        return values;
    }

    /// <summary>
    /// Grafana's datasource, and its admin account from <see cref="GrafanaAdminSecret"/>. The chart takes the password
    /// from <c>admin.existingSecret</c>/<c>admin.passwordKey</c>, and the user name from the same Secret unless
    /// <c>env.GF_SECURITY_ADMIN_USER</c> is set (grafana chart 9.2.2 templates/_pod.tpl, the GF_SECURITY_ADMIN_USER and
    /// GF_SECURITY_ADMIN_PASSWORD env of the grafana container), so the Secret holds only the generated password.
    /// </summary>
    private static JsonObject GrafanaSettings() => new()
    {
        ["admin"] = new JsonObject { ["existingSecret"] = GrafanaAdminSecret, ["passwordKey"] = GrafanaPasswordKey },
        ["env"] = new JsonObject { ["GF_SECURITY_ADMIN_USER"] = "admin" },
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

    /// <summary>
    /// Kiali settings its chart's values.yaml does not declare, with where the chart reads them: kiali-server v2.26.0
    /// writes all its values (but <c>kiali_route_url</c>) into Kiali's config.yaml, so any Kiali config key works.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KialiUndeclaredValues = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["external_services.tracing"] = "kiali-server/templates/configmap.yaml (`omit .Values \"kiali_route_url\"` rendered as config.yaml); templates/_helpers.tpl reads its auth",
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
            // Not declared in the chart's values.yaml (see KialiUndeclaredValues; Istio's values-kiali.yaml sets it
            // too): Kiali does not start while tracing points at a missing service.
            ["tracing"] = jaeger
                ? new JsonObject { ["enabled"] = true, ["internal_url"] = $"http://{Jaeger.Release}.{IstioSettings.SystemNamespace}:16685", ["use_grpc"] = true }
                : new JsonObject { ["enabled"] = false },
        },
    };
}
