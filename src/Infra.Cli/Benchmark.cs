using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;

namespace Infra.Cli;

/// <summary>Milliseconds of one phase over the measured iterations.</summary>
public sealed record PhaseTiming(string Phase, double MinMs, double MedianMs, double MaxMs);

/// <summary>The biggest rendered entry (an object, or a Helm release's values) by the length of its JSON, in UTF-16 characters.</summary>
public sealed record LargestEntry(string Kind, string? Namespace, string Name, int Size);

/// <summary>
/// What one stack costs to load, plan and render, and how big the render is: <paramref name="Files"/> and
/// <paramref name="Bytes"/> (characters) of the render, <paramref name="Objects"/> (Kubernetes objects, Helm releases
/// excluded), the <paramref name="Largest"/> entry, the median bytes allocated and the median CPU time (milliseconds, all
/// threads of the process, so garbage collection counts) of one settings+plan+render run, and the process's peak working
/// set in bytes after all runs. CPU time stays meaningful on a machine busy with other work, where wall time does not.
/// </summary>
public sealed record StackBenchmark(
    string Stack,
    int Services,
    int Iterations,
    IReadOnlyList<PhaseTiming> Phases,
    int Files,
    long Bytes,
    int Objects,
    LargestEntry Largest,
    long AllocatedBytes,
    double CpuMs,
    long PeakWorkingSetBytes);

/// <summary>
/// Measures the offline pipeline per stack (settings, plan, render in memory) after a warm-up run, so changes to the
/// planners can be compared by numbers, never by timed assertions in tests.
/// </summary>
public static class Benchmark
{
    /// <summary>Debug numbers are not worth comparing; the output says which build produced them.</summary>
#if DEBUG
    public const string BuildConfiguration = "Debug";
#else
    public const string BuildConfiguration = "Release";
#endif

    /// <summary>A stack of a project directory; its files are read again in every run (part of the settings phase).</summary>
    public static StackBenchmark Run(string projectDirectory, string stack, int iterations) =>
        Measure(stack, () => ProjectConfigFiles.Load(projectDirectory, stack), iterations);

    /// <summary>A <see cref="SyntheticCatalog"/> of <paramref name="services"/> services, built once in memory (not timed).</summary>
    public static StackBenchmark RunSynthetic(int services, MeshKind mesh, bool verification, int iterations)
    {
        var catalog = SyntheticCatalog.Create(services, mesh, verification);
        return Measure($"{SyntheticCatalog.Stack}-{services}-{mesh.ToString().ToLowerInvariant()}{(verification ? "" : "-noverify")}", () => catalog, iterations);
    }

    private static StackBenchmark Measure(string name, Func<IStackConfigSource> source, int iterations)
    {
        var load = new List<double>();
        var plan = new List<double>();
        var render = new List<double>();
        var allocated = new List<double>();
        var cpu = new List<double>();
        using var process = Process.GetCurrentProcess();
        MeshPlan? meshPlan = null;
        IReadOnlyList<RenderedFile> files = [];
        for (var i = 0; i <= iterations; i++)
        {
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true); // planning and rendering run on every core
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var settings = StackSettingsLoader.Load(source());
            var loaded = clock.Elapsed.TotalMilliseconds;
            meshPlan = MeshPlanner.Plan(settings);
            var planned = clock.Elapsed.TotalMilliseconds;
            files = PlanRenderer.Render(meshPlan);
            var rendered = clock.Elapsed.TotalMilliseconds;
            var allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);
            process.Refresh();
            var cpuUsed = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
            if (i == 0)
            {
                continue; // warm-up: JIT and first-use caches
            }

            load.Add(loaded);
            plan.Add(planned - loaded);
            render.Add(rendered - planned);
            allocated.Add(allocatedAfter - allocatedBefore);
            cpu.Add(cpuUsed);
        }

        // Sizes are measured after the timed runs, from the same entries diff compares.
        var entries = RenderedEntry.Of(meshPlan!).Select(e => (Entry: e, Size: e.Content.ToJsonString().Length)).ToList();
        var largest = entries.MaxBy(e => e.Size);
        process.Refresh();
        return new StackBenchmark(name, meshPlan!.Settings.Services.Length, iterations,
            [Timing("settings", load), Timing("plan", plan), Timing("render", render)],
            files.Count, files.Sum(f => f.Content.Length),
            entries.Count(e => e.Entry.Kind != RenderedEntry.HelmReleaseKind),
            new LargestEntry(largest.Entry.Kind, largest.Entry.Namespace, largest.Entry.Name, largest.Size),
            (long)Median(allocated),
            Median(cpu),
            process.PeakWorkingSet64);
    }

    public static JsonObject ToJson(StackBenchmark result) => new()
    {
        ["stack"] = result.Stack,
        ["services"] = result.Services,
        ["iterations"] = result.Iterations,
        ["files"] = result.Files,
        ["bytes"] = result.Bytes,
        ["objects"] = result.Objects,
        ["largest"] = new JsonObject
        {
            ["kind"] = result.Largest.Kind,
            ["namespace"] = result.Largest.Namespace,
            ["name"] = result.Largest.Name,
            ["size"] = result.Largest.Size,
        },
        ["allocatedBytes"] = result.AllocatedBytes,
        ["cpuMs"] = Math.Round(result.CpuMs, 1),
        ["peakWorkingSetBytes"] = result.PeakWorkingSetBytes,
        ["phases"] = new JsonArray([.. result.Phases.Select(p => (JsonNode)new JsonObject
        {
            ["phase"] = p.Phase,
            ["minMs"] = Math.Round(p.MinMs, 3),
            ["medianMs"] = Math.Round(p.MedianMs, 3),
            ["maxMs"] = Math.Round(p.MaxMs, 3),
        })]),
    };

    public static string ToText(StackBenchmark result) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{result.Stack,-14} {result.Services,5} services {result.Files,3} files {result.Bytes,10} bytes {result.Objects,7} objects  ")
        + string.Join("  ", result.Phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.MedianMs,7:0.00} ms (min {p.MinMs:0.00}, max {p.MaxMs:0.00})")))
        + string.Create(CultureInfo.InvariantCulture,
            $"\n{"",-14} CPU {result.CpuMs:0} ms and {result.AllocatedBytes / 1048576.0:0.0} MiB allocated per run, peak working set {result.PeakWorkingSetBytes / 1048576.0:0.0} MiB, largest: {result.Largest.Kind} {(result.Largest.Namespace is null ? "" : result.Largest.Namespace + "/")}{result.Largest.Name} ({result.Largest.Size} bytes)");

    private static PhaseTiming Timing(string phase, List<double> samples) =>
        new(phase, samples.Min(), Median(samples), samples.Max());

    private static double Median(List<double> samples) => samples.Order().ElementAt(samples.Count / 2);
}
