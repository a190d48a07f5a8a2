using System.Text.Json.Nodes;
using Infra.Mesh.Analysis;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

/// <summary>
/// Application metrics under Linkerd's deny-by-default Servers: the scrapers the stack declares (viz's Prometheus,
/// <c>infra:linkerd.scraper</c>) may <c>GET</c> each service's metrics path and nothing else, judged by the inbound
/// policy model over the rendered objects; viz's Prometheus gets a job that finds the services' pods.
/// </summary>
public sealed class LinkerdMetricsScrapeTests : IDisposable
{
    private const string VizPrometheus = "prometheus/linkerd-viz";

    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Viz_prometheus_may_get_every_meshed_services_metrics_path_and_nothing_else()
    {
        var analysis = Load("dev-linkerd");
        var model = new InboundPolicyModel(Objects(analysis.Plan));

        var scraped = analysis.Settings.Services.Where(s => s.Injected).ToList();
        Assert.NotEmpty(scraped);
        foreach (var service in scraped)
        {
            var server = model.ServerFor(service.Namespace, service.Name, service.Metrics.Port);
            Assert.True(model.Allows(service.Namespace, server, VizPrometheus, "GET", service.Metrics.Path), service.Name);
            Assert.False(model.Allows(service.Namespace, server, VizPrometheus, "POST", service.Metrics.Path), service.Name);
            Assert.False(model.Allows(service.Namespace, server, VizPrometheus, "GET", "/orders"), service.Name);
            Assert.False(model.Allows(service.Namespace, server, InboundPolicyModel.Unauthenticated, "GET", service.Metrics.Path), service.Name);
        }

        Assert.DoesNotContain(analysis.Warnings, w => w.Rule == RuleCatalog.MetricsNotScraped);
    }

    [Fact]
    public void The_metrics_route_keeps_callers_whose_declared_call_covers_the_metrics_path()
    {
        // orders may GET anything on catalog: the more specific metrics route must admit it too (Linkerd applies one route).
        var model = new InboundPolicyModel(Objects(Load("dev-linkerd").Plan));
        var server = model.ServerFor("shop", "catalog", "http");

        Assert.True(model.Allows("shop", server, "orders/shop", "GET", "/metrics"));
        Assert.False(model.Allows("shop", server, "api-gateway/storefront", "GET", "/metrics"));
    }

    [Fact]
    public void Viz_prometheus_gets_a_job_for_the_annotated_pods_of_the_application_namespaces()
    {
        var plan = Load("dev-linkerd").Plan;

        var job = Assert.Single(plan.Release("linkerd-viz").Values["prometheus"]!["scrapeConfigs"]!.AsArray())!;
        Assert.Equal(LinkerdObservabilityPlanner.ApplicationJob, (string?)job["job_name"]);
        var discovery = Assert.Single(job["kubernetes_sd_configs"]!.AsArray())!;
        Assert.Equal("pod", (string?)discovery["role"]);
        Assert.Equal(plan.Settings.Namespaces.Order(StringComparer.Ordinal), discovery["namespaces"]!["names"].Strings().Order(StringComparer.Ordinal));
        var relabels = job["relabel_configs"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Contains(relabels, r => (string?)r["action"] == "keep" && r["source_labels"].Strings().Single() == "__meta_kubernetes_pod_annotation_prometheus_io_scrape" && (string?)r["regex"] == "true");
        Assert.Contains(relabels, r => (string?)r["target_label"] == "__metrics_path__");
        var address = relabels.Single(r => (string?)r["target_label"] == "__address__");
        // Prometheus anchors relabel regexes and joins source labels with ';'.
        var rewritten = System.Text.RegularExpressions.Regex.Replace("10.1.2.3:7888;8080", $"^(?:{(string)address["regex"]!})$", (string)address["replacement"]!);
        Assert.Equal("10.1.2.3:8080", rewritten);

        // The job reads what the pods carry: the metrics port and path of each service.
        foreach (var deployment in Objects(plan).OfKind("Deployment").Where(d => d.Namespace() is { } ns && plan.Settings.Namespaces.Contains(ns)))
        {
            var app = (string)deployment["metadata"]!["labels"]!["app"]!;
            var service = plan.Settings.Services.SingleOrDefault(s => s.Name == app);
            if (service is null)
            {
                continue;
            }

            var annotations = deployment["spec"]!["template"]!["metadata"]!["annotations"]!;
            Assert.Equal("true", (string?)annotations["prometheus.io/scrape"]);
            Assert.Equal(service.Port(service.Metrics.Port).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)annotations["prometheus.io/port"]);
            Assert.Equal(service.Metrics.Path, (string?)annotations["prometheus.io/path"]);
        }
    }

    [Fact]
    public void A_declared_unmeshed_scraper_is_authorized_by_network_on_the_metrics_path_only()
    {
        _files.Replace("Pulumi.dev-linkerd.yaml", "    viz: true\n", "    viz: false\n    scraper: {namespace: monitoring, serviceAccount: prometheus-server, meshed: false}\n");

        var analysis = Load("dev-linkerd");
        var objects = Objects(analysis.Plan);
        var model = new InboundPolicyModel(objects);
        var server = model.ServerFor("payments", "payments", "http");

        Assert.NotNull(objects.Named("NetworkAuthentication", "payments", LinkerdSecurityPlanner.UnauthenticatedAuthentication));
        Assert.True(model.Allows("payments", server, InboundPolicyModel.Unauthenticated, "GET", "/metrics"));
        Assert.False(model.Allows("payments", server, InboundPolicyModel.Unauthenticated, "POST", "/payments"));
        // A NetworkAuthentication cannot tell clients apart: any client may read the metrics path (and only that path).
        Assert.True(model.Allows("payments", server, "stranger/payments", "GET", "/metrics"));
        Assert.False(model.Allows("payments", server, "stranger/payments", "GET", "/payments"));
        Assert.DoesNotContain(analysis.Warnings, w => w.Rule == RuleCatalog.MetricsNotScraped);
    }

    /// <summary>Viz's Prometheus beside the cluster's own, unmeshed: each keeps its way in (identity, network) on every metrics path.</summary>
    [Fact]
    public void Viz_prometheus_and_a_declared_unmeshed_scraper_may_both_get_every_metrics_path()
    {
        _files.Replace("Pulumi.dev-linkerd.yaml", "    viz: true\n", "    viz: true\n    scraper: {namespace: monitoring, serviceAccount: prometheus-server, meshed: false}\n");

        var analysis = Load("dev-linkerd");
        var objects = Objects(analysis.Plan);
        var model = new InboundPolicyModel(objects);

        var scraped = analysis.Settings.Services.Where(s => s.Injected).ToList();
        Assert.NotEmpty(scraped);
        foreach (var service in scraped)
        {
            var server = model.ServerFor(service.Namespace, service.Name, service.Metrics.Port);
            Assert.NotNull(objects.Named("NetworkAuthentication", service.Namespace, LinkerdSecurityPlanner.UnauthenticatedAuthentication));
            foreach (var scraper in new[] { VizPrometheus, InboundPolicyModel.Unauthenticated })
            {
                Assert.True(model.Allows(service.Namespace, server, scraper, "GET", service.Metrics.Path), $"{scraper} -> {service.Name}");
                Assert.False(model.Allows(service.Namespace, server, scraper, "POST", service.Metrics.Path), $"{scraper} -> {service.Name}");
                Assert.False(model.Allows(service.Namespace, server, scraper, "GET", "/undeclared"), $"{scraper} -> {service.Name}");
            }
        }

        Assert.DoesNotContain(analysis.Warnings, w => w.Rule == RuleCatalog.MetricsNotScraped);
    }

    [Fact]
    public void A_declared_meshed_scraper_is_authorized_by_its_identity()
    {
        _files.Replace("Pulumi.dev-linkerd.yaml", "    viz: true\n", "    viz: false\n    scraper: {namespace: monitoring, serviceAccount: prometheus-server}\n");

        var objects = Objects(Load("dev-linkerd").Plan);
        var model = new InboundPolicyModel(objects);
        var server = model.ServerFor("payments", "payments", "http");

        Assert.True(model.Allows("payments", server, "prometheus-server/monitoring", "GET", "/metrics"));
        Assert.False(model.Allows("payments", server, InboundPolicyModel.Unauthenticated, "GET", "/metrics"));
        Assert.DoesNotContain(objects.OfKind("NetworkAuthentication"), n => n.Name() == LinkerdSecurityPlanner.UnauthenticatedAuthentication);
    }

    [Fact]
    public void Without_any_scraper_metrics_are_reported_as_read_by_nobody()
    {
        _files.Replace("Pulumi.dev-linkerd.yaml", "    viz: true\n", "    viz: false\n");

        var analysis = Load("dev-linkerd");

        var warning = Assert.Single(analysis.Warnings, w => w.Rule == RuleCatalog.MetricsNotScraped);
        Assert.Equal("infra:services[api-gateway].metrics", warning.Key);
        Assert.Contains("infra:linkerd.scraper", warning.Message, StringComparison.Ordinal);
        var model = new InboundPolicyModel(Objects(analysis.Plan));
        Assert.False(model.Allows("storefront", model.ServerFor("storefront", "api-gateway", "http"), VizPrometheus, "GET", "/metrics"));
    }

    [Fact]
    public void A_scraper_with_a_bad_key_is_a_settings_error_naming_it()
    {
        _files.Replace("Pulumi.dev-linkerd.yaml", "    viz: true\n", "    viz: true\n    scraper: {namespace: Monitoring, serviceAccount: prometheus-server, meshd: true}\n");

        var error = Assert.Throws<SettingsException>(() => Load("dev-linkerd"));

        Assert.Contains(error.Errors, e => e.Key == "infra:linkerd.scraper.namespace" && e.Message.Contains("Monitoring", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Key.StartsWith("infra:linkerd.scraper", StringComparison.Ordinal) && e.Message.Contains("meshd", StringComparison.Ordinal));
    }

    private StackAnalysis Load(string stack) => _files.Analyze(stack);

    private static IReadOnlyList<JsonObject> Objects(MeshPlan plan) => Stacks.Objects(plan);
}
