using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Planner;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;

namespace Infra.Cli;

/// <summary>Milliseconds of one phase over the measured iterations.</summary>
public sealed record PhaseTiming(string Phase, double MinMs, double MedianMs, double MaxMs);

/// <summary>What one stack costs to load, plan and render, and how big the render is.</summary>
public sealed record StackBenchmark(string Stack, int Iterations, IReadOnlyList<PhaseTiming> Phases, int Files, long Bytes);

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

    public static StackBenchmark Run(string projectDirectory, string stack, int iterations)
    {
        var load = new List<double>();
        var plan = new List<double>();
        var render = new List<double>();
        IReadOnlyList<RenderedFile> files = [];
        for (var i = 0; i <= iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            var settings = StackSettingsLoader.Load(ProjectConfigFiles.Load(projectDirectory, stack));
            var loaded = clock.Elapsed.TotalMilliseconds;
            var meshPlan = MeshPlanner.Plan(settings);
            var planned = clock.Elapsed.TotalMilliseconds;
            files = PlanRenderer.Render(meshPlan);
            var rendered = clock.Elapsed.TotalMilliseconds;
            if (i == 0)
            {
                continue; // warm-up: JIT and first-use caches
            }

            load.Add(loaded);
            plan.Add(planned - loaded);
            render.Add(rendered - planned);
        }

        return new StackBenchmark(stack, iterations,
            [Timing("settings", load), Timing("plan", plan), Timing("render", render)],
            files.Count, files.Sum(f => (long)f.Content.Length));
    }

    public static JsonObject ToJson(StackBenchmark result) => new()
    {
        ["stack"] = result.Stack,
        ["iterations"] = result.Iterations,
        ["files"] = result.Files,
        ["bytes"] = result.Bytes,
        ["phases"] = new JsonArray([.. result.Phases.Select(p => (JsonNode)new JsonObject
        {
            ["phase"] = p.Phase,
            ["minMs"] = Math.Round(p.MinMs, 3),
            ["medianMs"] = Math.Round(p.MedianMs, 3),
            ["maxMs"] = Math.Round(p.MaxMs, 3),
        })]),
    };

    public static string ToText(StackBenchmark result) =>
        $"{result.Stack,-14} {result.Files,3} files {result.Bytes,8} bytes  "
        + string.Join("  ", result.Phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.MedianMs,7:0.00} ms (min {p.MinMs:0.00}, max {p.MaxMs:0.00})")));

    private static PhaseTiming Timing(string phase, List<double> samples)
    {
        var sorted = samples.Order().ToList();
        return new PhaseTiming(phase, sorted[0], sorted[sorted.Count / 2], sorted[^1]);
    }
}
