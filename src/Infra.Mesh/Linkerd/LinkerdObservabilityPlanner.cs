using System.Text.Json.Nodes;
using Infra.Mesh.Linkerd.Resources;
using Infra.Mesh.Observability;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using k8s.Models;

namespace Infra.Mesh.Linkerd;

/// <summary>
/// linkerd-viz (golden metrics from every proxy, tap, the dashboard and its service graph) and what it needs in
/// application namespaces: under a deny default, viz's Prometheus must be authorized to scrape the proxies.
/// Grafana is not bundled with linkerd-viz any more; with <c>observability.grafana</c> the dashboard links to the
/// Grafana installed by Linkerd's recipe and that Grafana may query viz's Prometheus.
/// </summary>
public sealed class LinkerdObservabilityPlanner : IObservabilityPlanner
{
    public const string VizRelease = "linkerd-viz";

    /// <summary>Where Linkerd's Grafana recipe installs Grafana (grafana chart, release and namespace <c>grafana</c>).</summary>
    public const string GrafanaNamespace = "grafana";
    public const string GrafanaServiceAccount = "grafana";
    public const string GrafanaUrl = "grafana.grafana:3000";

    /// <summary>The proxy's admin port (metrics, probes), as the injector names it.</summary>
    private const string ProxyAdminPort = "linkerd-admin";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        if (!settings.Linkerd.Viz)
        {
            return;
        }

        // Planned with the CRDs like the other Linkerd namespaces: the release must find it (Helm does not create it).
        var ns = plan.Add(StageKind.Crds, LinkerdNamespaces.Viz(settings.Linkerd.Cni));
        var viz = plan.Add(StageKind.GatewaysAndAddons,
            LinkerdControlPlanePlanner.Release(VizRelease, "linkerd-viz", LinkerdSettings.VizNamespace, settings.Linkerd, VizValues(settings), []) with
            {
                DependsOn = [ns.Id, HelmReleaseItem.IdOf(LinkerdSettings.SystemNamespace, LinkerdControlPlanePlanner.ControlPlaneRelease)],
            });

        if (settings.Observability.Grafana)
        {
            // The chart's prometheus-admin Server admits only its metrics-api; Linkerd's recipe adds Grafana beside it.
            plan.Add(StageKind.GatewaysAndAddons, LinkerdSecurityPlanner.Authorization(
                VizMeta("grafana", LinkerdSettings.VizNamespace),
                new PolicyTargetReference(LinkerdPolicy.Group, "Server", "prometheus-admin"),
                viz.Id,
                [AuthenticationReference.ServiceAccount(GrafanaServiceAccount, GrafanaNamespace)]));
        }

        foreach (var app in settings.Namespaces)
        {
            PlanScrapes(plan, app);
        }
    }

    /// <summary>
    /// What <c>linkerd viz allow-scrapes</c> generates: a Server on every proxy's admin port whose <c>/metrics</c> only
    /// viz's Prometheus may read; the proxy's own probes stay open to kubelet.
    /// </summary>
    private static void PlanScrapes(PlanBuilder plan, string ns)
    {
        var server = plan.Add(StageKind.Policies, new Server(
            VizMeta("proxy-admin", ns),
            new ServerSpec(
                new PodSelector(MatchExpressions: [new LabelSelectorRequirement("linkerd.io/control-plane-ns", "Exists")]),
                ProxyAdminPort,
                "HTTP/1",
                AccessPolicy: "deny")));
        var serverRef = new ParentReference(LinkerdPolicy.Group, "Server", "proxy-admin");

        var metrics = plan.Add(StageKind.Policies, new ManifestItem(new HttpRoute(VizMeta("proxy-metrics", ns), new HttpRouteSpec(
            [serverRef], [new HttpRouteRule(Matches: [new HttpRouteMatch(HttpPathMatch.Exact("/metrics"), "GET")])])))
        {
            DependsOn = [server.Id],
        });
        plan.Add(StageKind.Policies, LinkerdSecurityPlanner.Authorization(
            VizMeta("proxy-metrics", ns), LinkerdSecurityPlanner.RouteTarget("proxy-metrics"), metrics.Id,
            [AuthenticationReference.ServiceAccount("prometheus", LinkerdSettings.VizNamespace)]));

        var probes = plan.Add(StageKind.Policies, new ManifestItem(new HttpRoute(VizMeta("proxy-probes", ns), new HttpRouteSpec(
            [serverRef],
            [new HttpRouteRule(Matches: [new HttpRouteMatch(HttpPathMatch.Exact("/live"), "GET"), new HttpRouteMatch(HttpPathMatch.Exact("/ready"), "GET")])])))
        {
            DependsOn = [server.Id],
        });
        plan.Add(StageKind.Policies, LinkerdSecurityPlanner.Authorization(
            VizMeta("proxy-probes", ns), LinkerdSecurityPlanner.RouteTarget("proxy-probes"), probes.Id,
            [LinkerdSecurityPlanner.KubeletReference(ns)], ManifestIds.Of(LinkerdSecurityPlanner.Kubelet(ns))));
    }

    /// <summary>
    /// Values of <c>linkerd-viz</c>. Prod takes the chart's values-ha.yaml, restricted to the keys values.yaml declares
    /// (its top-level <c>resources</c> is not one; the per-component resources it aliases are set instead).
    /// </summary>
    private static JsonObject VizValues(StackSettings settings)
    {
        var values = new JsonObject
        {
            // The namespace is a planned object with viz's labels already; the chart's job would only patch it behind Pulumi's back.
            ["createNamespaceMetadataJob"] = false,
        };
        if (settings.Observability.Grafana)
        {
            values["grafana"] = new JsonObject { ["url"] = GrafanaUrl };
        }

        var prometheus = new JsonObject();
        if (settings.IsProduction)
        {
            values["enablePodAntiAffinity"] = true;
            values["enablePodDisruptionBudget"] = true;
            values["tap"] = new JsonObject { ["replicas"] = 3, ["resources"] = LinkerdControlPlanePlanner.Resources("100m", "50Mi", "250Mi") };
            values["dashboard"] = new JsonObject { ["resources"] = LinkerdControlPlanePlanner.Resources("100m", "50Mi", "250Mi") };
            prometheus["resources"] = LinkerdControlPlanePlanner.Resources("300m", "300Mi", "8192Mi");
        }

        if (!settings.Namespaces.IsEmpty)
        {
            // viz's own jobs read only Linkerd's proxies and control plane (viz/charts/linkerd-viz/templates/prometheus.yaml);
            // the chart appends prometheus.scrapeConfigs to them, so the services' metrics get a job of their own.
            prometheus["scrapeConfigs"] = new JsonArray(ApplicationScrapeJob(settings.Namespaces));
        }

        if (prometheus.Count > 0)
        {
            values["prometheus"] = prometheus;
        }

        return values;
    }

    /// <summary>The scrape job name of the services' own metrics in viz's Prometheus.</summary>
    public const string ApplicationJob = "infra-applications";

    /// <summary>
    /// A Prometheus job for the services' metrics, read from the pod annotations every workload carries
    /// (<c>prometheus.io/scrape</c>, <c>/port</c>, <c>/path</c>): pods of the application namespaces that ask to be
    /// scraped, at the annotated port and path. Pod discovery yields a target per container port; all of a pod's are
    /// rewritten to the one annotated address and so share one label set, which Prometheus scrapes once. The proxy's and
    /// init containers' ports are dropped first. The request reaches the port's Server, where the planner authorizes
    /// viz's Prometheus for <c>GET</c> of the metrics path (<see cref="LinkerdSecurityPlanner.Scrapers"/>).
    /// </summary>
    private static JsonObject ApplicationScrapeJob(IEnumerable<string> namespaces) => new()
    {
        ["job_name"] = ApplicationJob,
        ["kubernetes_sd_configs"] = new JsonArray(new JsonObject
        {
            ["role"] = "pod",
            ["namespaces"] = new JsonObject { ["names"] = new JsonArray([.. namespaces.Select(ns => JsonValue.Create(ns))]) },
        }),
        ["relabel_configs"] = new JsonArray(
            Relabel("keep", ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "true"),
            Relabel("drop", ["__meta_kubernetes_pod_container_init"], "true"),
            Relabel("drop", ["__meta_kubernetes_pod_container_name"], "linkerd-proxy"),
            Relabel("replace", ["__meta_kubernetes_pod_annotation_prometheus_io_path"], "(.+)", "__metrics_path__"),
            Relabel("replace", ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"], @"([^:]+)(?::\d+)?;(\d+)", "__address__", "$1:$2"),
            Relabel("replace", ["__meta_kubernetes_namespace"], "(.+)", "namespace"),
            Relabel("replace", ["__meta_kubernetes_pod_name"], "(.+)", "pod"),
            Relabel("replace", ["__meta_kubernetes_pod_label_app"], "(.+)", "app")),
    };

    private static JsonObject Relabel(string action, string[] sourceLabels, string regex, string? targetLabel = null, string? replacement = null)
    {
        var relabel = new JsonObject
        {
            ["action"] = action,
            ["source_labels"] = new JsonArray([.. sourceLabels.Select(l => JsonValue.Create(l))]),
            ["regex"] = regex,
        };
        if (targetLabel is not null)
        {
            relabel["target_label"] = targetLabel;
        }

        if (replacement is not null)
        {
            relabel["replacement"] = replacement;
        }

        return relabel;
    }

    private static V1ObjectMeta VizMeta(string name, string ns) => new()
    {
        Name = name,
        NamespaceProperty = ns,
        Labels = new Dictionary<string, string>(Labels.Managed()) { ["linkerd.io/extension"] = "viz" },
    };
}
