using System.Collections.Immutable;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Security;

/// <summary>One declared call: <paramref name="Caller"/> may call <paramref name="Callee"/> (optionally only some methods and paths).</summary>
public sealed record CallEdge(ServiceSettings Caller, ServiceSettings Callee, CallSettings Call);

/// <summary>The declared call graph of the catalog: the only traffic authorization allows.</summary>
public sealed class CallGraph
{
    private CallGraph(ImmutableArray<CallEdge> edges) => Edges = edges;

    public ImmutableArray<CallEdge> Edges { get; }

    /// <summary>The edges in catalog order; linear in the calls (callees are looked up by name once).</summary>
    public static CallGraph Of(StackSettings settings)
    {
        var byName = settings.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        return new([.. settings.Services.SelectMany(caller => caller.Calls.Select(call => new CallEdge(caller, byName[call.Service], call)))]);
    }

    public IEnumerable<CallEdge> Into(ServiceSettings callee) => Edges.Where(e => e.Callee.Name == callee.Name);

    public IEnumerable<CallEdge> OutOf(ServiceSettings caller) => Edges.Where(e => e.Caller.Name == caller.Name);

    /// <summary>The SPIFFE-style identity meshes give a workload: its namespace and service account.</summary>
    public static string Principal(ServiceSettings service) => Principal(service.Namespace, service.ServiceAccount);

    public static string Principal(string ns, string serviceAccount) => $"cluster.local/ns/{ns}/sa/{serviceAccount}";
}
