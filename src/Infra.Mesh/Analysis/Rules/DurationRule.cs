using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA180: every duration validation accepts must render to an object its schema accepts. Istio's CRDs require
/// outlier detection's <c>interval</c> and <c>baseEjectionTime</c> to be at least 1ms
/// (<c>duration(self) &gt;= duration('1ms')</c> in ../shared/reference/istio/1.30.3/crds/crd-all.gen.yaml). A zero
/// route <c>timeout</c> or <c>perTryTimeout</c> means "none" and is rendered by leaving the field out.
/// </summary>
public sealed class DurationRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.ZeroDuration];

    public void Check(RuleContext context)
    {
        if (context.Settings.Mesh != MeshKind.Istio)
        {
            return;
        }

        foreach (var service in context.Settings.Services)
        {
            var outlier = context.Service(service)["traffic"]["outlierDetection"];
            foreach (var (key, value) in new[] { ("interval", service.Traffic.OutlierDetection.Interval), ("baseEjectionTime", service.Traffic.OutlierDetection.BaseEjectionTime) })
            {
                if (Durations.Milliseconds(value) == 0)
                {
                    context.Report(RuleCatalog.ZeroDuration, outlier[key],
                        $"'{value}' is zero; Istio requires at least 1ms (for example 10s)");
                }
            }
        }
    }
}
