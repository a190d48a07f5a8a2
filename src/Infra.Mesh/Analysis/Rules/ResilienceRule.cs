using System.Globalization;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>INFRA143 (both meshes) and INFRA144 (Istio): resilience settings that turn a partial failure into a worse one.</summary>
public sealed class ResilienceRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.UnsafeRetries, RuleCatalog.EjectEverything];

    /// <summary>Methods RFC 9110 (section 9.2.2) does not define as idempotent.</summary>
    private static readonly string[] NonIdempotent = ["POST", "PATCH"];

    public void Check(RuleContext context)
    {
        var callersByCallee = context.Settings.Services
            .SelectMany(caller => caller.Calls.Select(call => (Caller: caller, Call: call)))
            .ToLookup(e => e.Call.Service, StringComparer.Ordinal);
        foreach (var service in context.Settings.Services)
        {
            CheckRetries(context, service, callersByCallee[service.Name]);
            if (context.Settings.Mesh == MeshKind.Istio)
            {
                CheckEjection(context, service);
            }
        }
    }

    /// <summary>
    /// Retrying after a 5xx, a gateway error or a reset repeats a request the callee may have carried out already (a
    /// POST charged twice); only failures before the request reached the app (connect-failure, refused-stream) are
    /// safe. A call that names no methods may send any, POST included.
    /// </summary>
    private static void CheckRetries(RuleContext context, ServiceSettings service, IEnumerable<(ServiceSettings Caller, CallSettings Call)> callers)
    {
        var retries = service.Traffic.Retries;
        var unsafeConditions = retries.RetryOn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(c => AfterProcessing(c, context.Settings.Mesh)).ToList();
        if (retries.Attempts == 0 || unsafeConditions.Count == 0)
        {
            return;
        }

        var writers = callers
            .Where(e => e.Call.Methods.IsEmpty || e.Call.Methods.Intersect(NonIdempotent).Any())
            .Select(e => $"{e.Caller.Name} ({(e.Call.Methods.IsEmpty ? "any method" : string.Join(", ", e.Call.Methods.Intersect(NonIdempotent)))})")
            .ToList();
        if (writers.Count == 0)
        {
            return;
        }

        var node = context.Service(service)["traffic"]["retries"];
        context.Report(RuleCatalog.UnsafeRetries, node["retryOn"].Exists ? node["retryOn"] : node,
            $"'{retries.RetryOn}' retries after {string.Join(", ", unsafeConditions)}, when the request may already have been processed, "
            + $"and {string.Join(", ", writers)} may send non-idempotent requests; retry only on connect-failure,refused-stream, "
            + "or restrict the callers' methods to idempotent ones");
    }

    private static bool AfterProcessing(string condition, MeshKind mesh) =>
        condition is "5xx" or "gateway-error"
        || (mesh == MeshKind.Istio && condition is "reset" or "retriable-4xx" or "retriable-status-codes")
        || condition.Split('-').All(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 400 and < 600);

    /// <summary>
    /// Advice that works for <paramref name="pods"/>: one pod is always ejectable (no percentage keeps it), so only more
    /// pods help; from two pods on, the percentage that leaves one pod standing is <c>100 * (pods - 1) / pods</c>.
    /// </summary>
    private static string EjectionAdvice(int pods, string version) => pods == 1
        ? $"with one {version} pod no maxEjectionPercent can keep it (Envoy always allows one ejection): run at least 2 {version} pods"
        : $"lower maxEjectionPercent to at most {100 * (pods - 1) / pods} (ejects at most {pods - 1} of {pods} pods), or run more {version} pods";

    /// <summary>
    /// Envoy ejects at least one host whatever <c>maxEjectionPercent</c> says, and Istio's <c>minHealthPercent</c>
    /// defaults to 0, which also turns off Envoy's panic routing: when every endpoint of a version is ejected, its
    /// requests fail with 503 until the ejection ends. Each version (stable, canary) is its own subset.
    /// </summary>
    private static void CheckEjection(RuleContext context, ServiceSettings service)
    {
        var outlier = service.Traffic.OutlierDetection;
        var versions = new List<(string Name, int Pods)>
        {
            ("stable", service.Autoscaling.Enabled ? service.Autoscaling.MinReplicas : service.Replicas),
        };
        if (service.Canary is { Weight: > 0 } canary)
        {
            versions.Add(("canary", canary.Replicas));
        }

        foreach (var (name, pods) in versions.Where(v => v.Pods > 0 && Math.Max(1, v.Pods * outlier.MaxEjectionPercent / 100) >= v.Pods))
        {
            var node = context.Service(service)["traffic"]["outlierDetection"]["maxEjectionPercent"];
            var at = node.Exists ? node : context.Service(service)[name == "canary" ? "canary" : "replicas"];
            context.Report(RuleCatalog.EjectEverything, at,
                $"maxEjectionPercent {outlier.MaxEjectionPercent} with {pods} {name} pod(s) lets outlier detection eject all of them (Envoy ejects at least one), "
                + $"and with nothing left the version answers 503; {EjectionAdvice(pods, name)}");
        }
    }
}
