using Infra.Mesh.Linkerd;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA190: application metrics that no scraper of the stack can read.
/// <para>
/// Linkerd: under a Server with <c>accessPolicy: deny</c> a metrics path is read only by a scraper the planner
/// authorizes on it. The planner authorizes the scrapers the stack declares (linkerd-viz's Prometheus, which it also
/// gives a job for the services' metrics, and <c>infra:linkerd.scraper</c>) for <c>GET</c> of the metrics path, through
/// an inbound route, so on an HTTP or HTTP/2 metrics port. So the rule fires for a service that sets <c>metrics</c>
/// when the stack declares no scraper, or when its metrics port is gRPC or TCP (a Server without routes can only admit
/// the scraper to the whole port).
/// </para>
/// <para>
/// Istio: authorization does not stand in the way (metrics merging serves the app's metrics on the agent's port 15020),
/// but the scrape itself is a plain HTTP/1.1 <c>GET</c> of the metrics path. With a sidecar, injection moves the pod's
/// <c>prometheus.io/port</c> and <c>path</c> into the agent's <c>ISTIO_PROMETHEUS_ANNOTATIONS</c> and points the
/// annotations at 15020 (istio/istio 1.30.3 pkg/kube/inject/webhook.go, <c>applyPrometheusMerge</c>); on each scrape
/// the agent fetches <c>http://localhost:&lt;port&gt;&lt;path&gt;</c> and concatenates it with Envoy's stats
/// (pilot/cmd/pilot-agent/status/server.go, <c>handleStats</c>), logging "failed scraping application metrics" when
/// that fails. Ambient and uninjected pods are scraped by Prometheus directly, over HTTP too. A <c>tcp</c> port speaks
/// no HTTP and a <c>grpc</c> server answers only HTTP/2 gRPC calls, so the app's metrics silently go missing.
/// </para>
/// </summary>
public sealed class MetricsRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.MetricsNotScraped];

    public IReadOnlyList<string> Reads { get; } = ["istio", "linkerd"];

    public void Check(RuleContext context)
    {
        if (context.Settings.Mesh == MeshKind.Istio)
        {
            CheckIstio(context);
            return;
        }

        var declared = LinkerdSecurityPlanner.Scrapers(context.Settings).Any();
        foreach (var service in context.Settings.Services.Where(s => s.Injected && context.Service(s)["metrics"].Exists))
        {
            if (!declared)
            {
                context.Report(RuleCatalog.MetricsNotScraped, context.Service(service)["metrics"],
                    $"'{service.Metrics.Path}' on port '{service.Metrics.Port}' is read by nobody: the stack declares no scraper "
                    + "(infra:linkerd.viz is false and infra:linkerd.scraper is not set) and the port's Server admits only declared callers; "
                    + "turn viz on, or declare the cluster's Prometheus in infra:linkerd.scraper");
            }
            else if (!LinkerdSecurityPlanner.ScrapedThroughRoutes(service))
            {
                context.Report(RuleCatalog.MetricsNotScraped, context.Service(service)["metrics"],
                    $"'{service.Metrics.Path}' on port '{service.Metrics.Port}' is not scraped: that port is "
                    + $"{service.Port(service.Metrics.Port).AppProtocol}, whose Server has no routes to authorize the scraper on the path by; "
                    + "serve metrics on an http or http2 port (metrics.port)");
            }
        }
    }

    private static void CheckIstio(RuleContext context)
    {
        foreach (var service in context.Settings.Services.Where(s => context.Service(s)["metrics"].Exists))
        {
            var port = service.Ports.FirstOrDefault(p => p.Name == service.Metrics.Port);
            if (port is null || port.Protocol is not (PortProtocol.Tcp or PortProtocol.Grpc))
            {
                continue;
            }

            var scraper = service.Injected && !context.Settings.Istio.Ambient
                ? "Istio's metrics merging has the sidecar agent fetch"
                : "Prometheus fetches";
            context.Report(RuleCatalog.MetricsNotScraped, context.Service(service)["metrics"]["port"],
                $"'{port.Name}' ({port.Port}) is a {port.AppProtocol} port, but {scraper} 'http://<pod>:{port.Port}{service.Metrics.Path}' "
                + "with a plain HTTP GET, which that port does not answer, so the app's metrics are never collected; "
                + "serve metrics on an http or http2 port (metrics.port)");
        }
    }
}
