using System.Globalization;
using Infra.Mesh.Settings;
using k8s.Models;

namespace Infra.Mesh.Workloads;

/// <summary>
/// The JVM flags every service gets through <c>JAVA_TOOL_OPTIONS</c>, sized from the container rather than the node.
/// Container support itself (<c>-XX:+UseContainerSupport</c>) is on by default since JDK 10, so it is not repeated.
/// The service's own <c>jvm.options</c> come last: the JVM takes the last occurrence of a flag, so they override these.
/// </summary>
public static class JavaToolOptions
{
    /// <summary>Without a CPU limit the pod bursts into idle node CPU; below two processors the JIT and GC queue behind requests.</summary>
    private const int MinimumProcessorsWithoutLimit = 2;

    public static string For(ServiceSettings service) => string.Join(' ', Flags(service));

    public static IEnumerable<string> Flags(ServiceSettings service) =>
    [
        // The heap as a share of the memory limit; the rest holds metaspace (large for Clojure), code cache and thread stacks.
        $"-XX:MaxRAMPercentage={service.Jvm.MaxRamPercentage.ToString(CultureInfo.InvariantCulture)}.0",
        $"-XX:ActiveProcessorCount={ActiveProcessorCount(service.Resources).ToString(CultureInfo.InvariantCulture)}",
        // A JVM out of heap is in an unknown state: exit so Kubernetes restarts it, instead of limping on.
        "-XX:+ExitOnOutOfMemoryError",
        // Clojure writes a failed start's stack trace to a temp file by default; in a container it belongs in the log.
        "-Dclojure.main.report=stderr",
        .. service.Jvm.Options,
    ];

    /// <summary>
    /// Processors the JVM sizes its GC, JIT and thread pools (ForkJoin, Jetty, core.async) for. Since JDK 19 the JVM ignores the
    /// CPU request, so without a limit it would count every core of the node; the limit, or else the request, is what the pod can use.
    /// </summary>
    public static int ActiveProcessorCount(ResourceSettings resources)
    {
        var cores = (int)Math.Ceiling(new ResourceQuantity(resources.CpuLimit ?? resources.Cpu).ToDecimal());
        return resources.CpuLimit is null ? Math.Max(MinimumProcessorsWithoutLimit, cores) : Math.Max(1, cores);
    }
}
