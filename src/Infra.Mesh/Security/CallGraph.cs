using System.Collections.Immutable;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Security;

/// <summary>One declared call: <paramref name="Caller"/> may call <paramref name="Callee"/> (optionally only some methods and paths).</summary>
public sealed record CallEdge(ServiceSettings Caller, ServiceSettings Callee, CallSettings Call)
{
    /// <summary>
    /// The callee ports this call reaches in plain text: none unless it is opened (<c>unauthenticated: true</c>); then
    /// the HTTP ports when it is restricted to methods or paths (an HTTP attribute never matches on a TCP port), else
    /// every port. The security planners open exactly these (Istio: port-level PERMISSIVE mTLS and a rule without a
    /// principal; Linkerd: an unauthenticated authorization of the call's route or Server).
    /// </summary>
    public IEnumerable<ServicePort> PlainTextPorts =>
        !Call.Unauthenticated ? []
        : Call.Methods.IsEmpty && Call.Paths.IsEmpty ? Callee.Ports
        : Callee.Ports.Where(p => p.IsHttp);
}

/// <summary>
/// The declared call graph of the catalog: the only traffic authorization allows. Indexed by caller and callee when
/// built, so <see cref="Into"/> and <see cref="OutOf"/> cost the service's degree, not the whole graph.
/// </summary>
public sealed class CallGraph
{
    private readonly ILookup<string, CallEdge> _into;
    private readonly ILookup<string, CallEdge> _outOf;

    private CallGraph(ImmutableArray<CallEdge> edges)
    {
        Edges = edges;
        _into = edges.ToLookup(e => e.Callee.Name, StringComparer.Ordinal);
        _outOf = edges.ToLookup(e => e.Caller.Name, StringComparer.Ordinal);
    }

    /// <summary>Every edge, in catalog order of the callers and then of each caller's calls.</summary>
    public ImmutableArray<CallEdge> Edges { get; }

    /// <summary>The edges in catalog order; linear in the calls (callees are looked up by name once).</summary>
    public static CallGraph Of(StackSettings settings)
    {
        var byName = settings.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        return new([.. settings.Services.SelectMany(caller => caller.Calls.Select(call => new CallEdge(caller, byName[call.Service], call)))]);
    }

    /// <summary>The calls into <paramref name="callee"/>, in catalog order of their callers.</summary>
    public IEnumerable<CallEdge> Into(ServiceSettings callee) => _into[callee.Name];

    /// <summary>The calls <paramref name="caller"/> declares, in its own order.</summary>
    public IEnumerable<CallEdge> OutOf(ServiceSettings caller) => _outOf[caller.Name];

    /// <summary>The SPIFFE-style identity meshes give a workload: its namespace and service account.</summary>
    public static string Principal(ServiceSettings service) => Principal(service.Namespace, service.ServiceAccount);

    public static string Principal(string ns, string serviceAccount) => $"cluster.local/ns/{ns}/sa/{serviceAccount}";
}
