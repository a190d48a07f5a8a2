using Infra.Mesh.Linkerd;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA190 (Linkerd): under a Server with <c>accessPolicy: deny</c> a metrics path is read only by a scraper the
/// planner authorizes on it. The planner authorizes the scrapers the stack declares (linkerd-viz's Prometheus, which it
/// also gives a job for the services' metrics, and <c>infra:linkerd.scraper</c>) for <c>GET</c> of the metrics path,
/// through an inbound route, so on an HTTP or HTTP/2 metrics port. So the rule fires for a service that sets
/// <c>metrics</c> when the stack declares no scraper, or when its metrics port is gRPC or TCP (a Server without routes
/// can only admit the scraper to the whole port). On Istio, metrics merging serves the app's metrics on the agent's
/// port 15020, which authorization does not guard.
/// </summary>
public sealed class MetricsRule : ISettingsRule
{
    public void Check(RuleContext context)
    {
        if (context.Settings.Mesh != MeshKind.Linkerd)
        {
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
}
