using Infra.Mesh.Istio;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>INFRA140, INFRA141, INFRA142: traffic settings that validate but route requests nowhere or cut them short.</summary>
public sealed class TrafficRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.WeightWithoutPods, RuleCatalog.RetryBudget, RuleCatalog.CanaryIsStable];

    public void Check(RuleContext context)
    {
        foreach (var service in context.Settings.Services)
        {
            var node = context.Service(service);
            if (service.Canary is { } canary)
            {
                // The HPA keeps at least minReplicas; without it the Deployment runs exactly replicas.
                var stablePods = service.Autoscaling.Enabled ? service.Autoscaling.MinReplicas : service.Replicas;
                if (stablePods == 0 && canary.Weight < 100)
                {
                    context.Report(RuleCatalog.WeightWithoutPods, node["replicas"],
                        $"0 replicas, while the canary split sends {100 - canary.Weight}% of requests to the stable version (503 no healthy upstream); "
                        + "give stable replicas, or set canary.weight: 100 to move all traffic to the canary");
                }

                if (canary.Tag == service.Image.Tag)
                {
                    context.Report(RuleCatalog.CanaryIsStable, node["canary"]["tag"],
                        $"'{canary.Tag}' is the stable image's tag ({service.Image}): the canary would compare a version with itself; set the tag of the version under test");
                }
            }

            CheckRetryBudget(context, service, node);
        }
    }

    /// <summary>
    /// Every attempt, the first included, gets the per-try timeout (Envoy's <c>per_try_timeout</c>, Linkerd's
    /// <c>retry.linkerd.io/timeout</c>), and the route timeout bounds them all: attempts that cannot start before it
    /// are configured for nothing.
    /// </summary>
    private static void CheckRetryBudget(RuleContext context, ServiceSettings service, Settings.ConfigNode node)
    {
        var traffic = service.Traffic;
        var retries = traffic.Retries;
        var perTryApplies = context.Settings.Mesh == MeshKind.Linkerd
            ? retries.RetryOn.Split(',', StringSplitOptions.TrimEntries).Any(LinkerdTrafficPlanner.IsHttpRetryCondition)
            : IstioTrafficPlanner.AppliesPerTryTimeout(retries);
        var timeout = Durations.Milliseconds(traffic.Timeout);
        var perTry = Durations.Milliseconds(retries.PerTryTimeout);
        if (retries.Attempts == 0 || !perTryApplies || timeout == 0 || perTry == 0)
        {
            return;
        }

        var tries = retries.Attempts + 1;
        if (tries * perTry > timeout)
        {
            var at = node["traffic"]["retries"]["attempts"].Exists ? node["traffic"]["retries"]["attempts"] : node["traffic"]["retries"];
            context.Report(RuleCatalog.RetryBudget, at,
                $"{retries.Attempts} retries after the first try, each up to perTryTimeout {retries.PerTryTimeout}, need {tries * perTry}ms, "
                + $"but traffic.timeout {traffic.Timeout} ends the request first; allowed: (attempts + 1) x perTryTimeout <= timeout "
                + $"(here at most {Math.Max(0, (timeout / perTry) - 1)} attempts, or a longer timeout)");
        }
    }
}
