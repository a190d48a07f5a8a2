using System.Collections.Immutable;
using Infra.Mesh.Planning;
using NetArchTest.Rules;

namespace Infra.Mesh.Tests.Architecture;

/// <summary>
/// Infra.Mesh is a house with floors: each namespace (with its sub-namespaces) is a room on one floor, and a room uses
/// only rooms on its own floor or below. The check reads the compiled assembly's IL with NetArchTest (Mono.Cecil), so
/// every type reference counts: base types, fields, signatures, method bodies, lambdas, generic arguments.
/// Constants are the one blind spot of IL: the compiler copies their values, so a <c>const</c> read across floors
/// leaves no reference; keep cross-floor constants in the lower floor (as <see cref="Mesh.Settings.PlatformEnvironment"/>).
/// </summary>
public sealed class FloorTests
{
    /// <summary>The floors, bottom up. README "Layout" draws the same picture.</summary>
    public static readonly ImmutableArray<ImmutableArray<string>> Floors =
    [
        // What the user wrote, validated and typed; knows nothing about plans.
        ["Infra.Mesh.Settings"],

        // The plan model: items, builder, plan, secret slots, the planner interface.
        ["Infra.Mesh.Planning"],

        // The mesh-neutral concerns; among themselves one-way too (see NoRoomsUseEachOtherInACircle).
        ["Infra.Mesh.Workloads", "Infra.Mesh.Traffic", "Infra.Mesh.Security", "Infra.Mesh.Observability", "Infra.Mesh.Verification"],

        // The meshes: each implements the neutral concerns' interfaces; neither knows the other.
        ["Infra.Mesh.Istio", "Infra.Mesh.Linkerd"],

        // The top planner: IMesh, the mesh per stack, the order of the concerns; progressive delivery, which plans
        // Flagger's Canary with either mesh's routing and metrics.
        ["Infra.Mesh.Planner", "Infra.Mesh.Delivery"],

        // Plan to files.
        ["Infra.Mesh.Rendering"],

        // Semantic rules and the security audit: over the settings, and over the plan and its rendered objects.
        ["Infra.Mesh.Analysis"],
    ];

    /// <summary>Rooms on the same floor that must not use each other at all.</summary>
    private static readonly ImmutableArray<(string From, string To)> Strangers =
    [
        ("Infra.Mesh.Istio", "Infra.Mesh.Linkerd"),
        ("Infra.Mesh.Linkerd", "Infra.Mesh.Istio"),
    ];

    private static IEnumerable<string> Rooms => Floors.SelectMany(f => f);

    public static TheoryData<string> EveryRoom => [.. Rooms];

    [Fact]
    public void EveryNamespaceIsARoomOnAFloor()
    {
        var namespaces = typeof(MeshPlan).Assembly.GetTypes()
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(ns => ns.StartsWith("Infra.Mesh", StringComparison.Ordinal))
            .Distinct();
        var homeless = namespaces.Where(ns => RoomOf(ns) is null).Order(StringComparer.Ordinal).ToList();
        Assert.True(homeless.Count == 0, $"namespaces on no floor (add them to {nameof(Floors)}): {string.Join(", ", homeless)}");
    }

    [Theory]
    [MemberData(nameof(EveryRoom))]
    public void NoRoomUsesAFloorAbove(string room)
    {
        var floor = FloorOf(room);
        var wrong = Floors.Skip(floor + 1).SelectMany(f => f)
            .Select(above => (above, result: TypesIn(room).ShouldNot().HaveDependencyOn(above).GetResult()))
            .Where(x => !x.result.IsSuccessful)
            .Select(x => $"{string.Join(", ", x.result.FailingTypeNames ?? [])} -> {x.above} (floor {FloorOf(x.above)})")
            .ToList();
        Assert.True(wrong.Count == 0, $"{room} (floor {floor}) uses a floor above:\n  {string.Join("\n  ", wrong)}");
    }

    [Fact]
    public void MeshesDoNotUseEachOther()
    {
        foreach (var (from, to) in Strangers)
        {
            var result = TypesIn(from).ShouldNot().HaveDependencyOn(to).GetResult();
            Assert.True(result.IsSuccessful, $"{from} uses {to} in: {string.Join(", ", result.FailingTypeNames ?? [])}");
        }
    }

    /// <summary>Within a floor rooms may use each other, but only one way: no circle of any length.</summary>
    [Fact]
    public void NoRoomsUseEachOtherInACircle()
    {
        var uses = Rooms.ToDictionary(
            room => room,
            room => Rooms.Where(other => other != room && UsesAny(room, other)).ToList());
        var circle = FindCircle(uses);
        Assert.True(circle is null, $"rooms use each other in a circle: {string.Join(" -> ", circle ?? [])}");
    }

    private static bool UsesAny(string room, string other) =>
        !TypesIn(room).ShouldNot().HaveDependencyOn(other).GetResult().IsSuccessful;

    /// <summary>A circle in the graph as a path that starts and ends at the same room, or null (depth-first search).</summary>
    private static List<string>? FindCircle(Dictionary<string, List<string>> uses)
    {
        var done = new HashSet<string>();
        var path = new List<string>();
        List<string>? Visit(string room)
        {
            var at = path.IndexOf(room);
            if (at >= 0)
            {
                return [.. path[at..], room];
            }

            if (!done.Add(room))
            {
                return null;
            }

            path.Add(room);
            foreach (var next in uses[room])
            {
                if (Visit(next) is { } circle)
                {
                    return circle;
                }
            }

            path.RemoveAt(path.Count - 1);
            return null;
        }

        return uses.Keys.Select(Visit).FirstOrDefault(c => c is not null);
    }

    /// <summary>The types of a room, sub-namespaces included (<c>Infra.Mesh.Istio.Resources</c> is in <c>Infra.Mesh.Istio</c>).</summary>
    private static PredicateList TypesIn(string room) =>
        Types.InAssembly(typeof(MeshPlan).Assembly).That().ResideInNamespace(room);

    private static string? RoomOf(string ns) =>
        Rooms.FirstOrDefault(room => ns == room || ns.StartsWith(room + ".", StringComparison.Ordinal));

    private static int FloorOf(string room) => Floors.ToList().FindIndex(f => f.Contains(room));
}
