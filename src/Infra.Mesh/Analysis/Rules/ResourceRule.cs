using System.Globalization;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>INFRA150, INFRA151: memory Kubernetes accepts but a JVM cannot start with.</summary>
public sealed class ResourceRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.MemoryUnit, RuleCatalog.HeapTooSmall];

    /// <summary>
    /// The least heap a Clojure service starts with: loading clojure.core and a web stack takes on the order of
    /// 100 MiB before the first request.
    /// </summary>
    public const long MinimumHeapMiB = 128;

    private static readonly Dictionary<string, double> Units = new(StringComparer.Ordinal)
    {
        ["k"] = 1e3, ["M"] = 1e6, ["G"] = 1e9, ["T"] = 1e12,
        ["Ki"] = 1024, ["Mi"] = 1024 * 1024, ["Gi"] = 1024.0 * 1024 * 1024, ["Ti"] = 1024.0 * 1024 * 1024 * 1024,
    };

    public void Check(RuleContext context)
    {
        foreach (var service in context.Settings.Services)
        {
            var memory = service.Resources.Memory;
            var node = context.Service(service)["resources"]["memory"];
            var at = node.Exists ? node : context.Service(service)["resources"];
            var unit = memory.TrimStart("0123456789.".ToCharArray());
            if (!Units.TryGetValue(unit, out var factor))
            {
                // Names.Quantity admits no suffix (bytes) and m (millibytes): both are quantities, neither a JVM's memory.
                context.Report(RuleCatalog.MemoryUnit, at,
                    $"'{memory}' is {(unit == "m" ? "millibytes" : "bytes")}; a memory limit needs a byte unit: Mi or Gi (for example 768Mi, 1Gi)");
                continue;
            }

            var bytes = double.Parse(memory[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture) * factor;
            var heapMiB = bytes * service.Jvm.MaxRamPercentage / 100 / (1024 * 1024);
            if (heapMiB < MinimumHeapMiB)
            {
                context.Report(RuleCatalog.HeapTooSmall, at,
                    $"'{memory}' at jvm.maxRamPercentage {service.Jvm.MaxRamPercentage} leaves a {heapMiB:0} MiB heap; "
                    + $"a Clojure service needs at least {MinimumHeapMiB} MiB: raise resources.memory (512Mi or more) or maxRamPercentage");
            }
        }
    }
}
