using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA190 (Linkerd): linkerd-viz scrapes proxies only (the proxy-admin Servers authorize its Prometheus on
/// <c>/metrics</c> of port 4191); an application port's Server admits only the declared callers, so a metrics path
/// the catalog sets is read by nobody. On Istio, metrics merging serves the app's metrics on the agent's port 15020,
/// which authorization does not guard.
/// </summary>
public sealed class MetricsRule : ISettingsRule
{
    public void Check(RuleContext context)
    {
        if (context.Settings.Mesh != MeshKind.Linkerd)
        {
            return;
        }

        foreach (var service in context.Settings.Services.Where(s => s.Injected && context.Service(s)["metrics"].Exists))
        {
            context.Report(RuleCatalog.MetricsNotScraped, context.Service(service)["metrics"],
                $"'{service.Metrics.Path}' on port '{service.Metrics.Port}' is not scraped on Linkerd: viz reads only the proxies' metrics, "
                + "and the port's Server admits only declared callers; read the service's golden metrics from viz, or remove metrics");
        }
    }
}
