using System.Collections.Immutable;
using System.Text;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;

namespace Infra.Mesh.Linkerd;

/// <summary>One request shape an inbound route matches: a method and an exact path or a path prefix.</summary>
public sealed record RequestMatch(string Method, string Path, bool IsPrefix)
{
    /// <summary>
    /// The request shapes a call allows. No methods means every method, spelled out, so that every route match has a
    /// method and Gateway API precedence (path first, then method) can never hand a request to a route that does not
    /// authorize its caller. <c>/orders/*</c> is the prefix <c>/orders</c> (which also matches <c>/orders</c> itself).
    /// </summary>
    public static IEnumerable<RequestMatch> Of(CallSettings call)
    {
        IEnumerable<string> methods = call.Methods.IsEmpty ? CallSettings.HttpMethods : call.Methods;
        IEnumerable<string> paths = call.Paths.IsEmpty ? ["/*"] : call.Paths;
        return methods.SelectMany(method => paths.Select(path => path.EndsWith("/*", StringComparison.Ordinal)
            ? new RequestMatch(method, path.Length == 2 ? "/" : path[..^2], IsPrefix: true)
            : new RequestMatch(method, path, IsPrefix: false)));
    }

    /// <summary>Whether every request <paramref name="other"/> matches is also matched by this (prefixes compare whole path segments).</summary>
    public bool Covers(RequestMatch other) =>
        Method == other.Method && (IsPrefix
            ? Path == "/" || other.Path == Path || IsUnder(other.Path, Path)
            : !other.IsPrefix && other.Path == Path);

    /// <summary>Whether <paramref name="path"/> is below the segment <paramref name="prefix"/> (asked for every pair of matches of a port; no string is built).</summary>
    private static bool IsUnder(string path, string prefix) =>
        path.Length > prefix.Length && path[prefix.Length] == '/' && path.StartsWith(prefix, StringComparison.Ordinal);

    public HttpRouteMatch ToRouteMatch() => new(IsPrefix ? HttpPathMatch.Prefix(Path) : HttpPathMatch.Exact(Path), Method);
}

/// <summary>A client identity: a name for the objects that authorize it, and its mTLS identity (namespace and service account).</summary>
/// <param name="Unauthenticated">A caller without a proxy whose call is opened with <c>unauthenticated: true</c>: it has no mTLS identity to authenticate.</param>
public sealed record Caller(string Name, string Namespace, string ServiceAccount, bool Unauthenticated = false)
{
    public static Caller Of(ServiceSettings service) => new(service.Name, service.Namespace, service.ServiceAccount);
}

/// <summary>Callers that may send the requests <see cref="Matches"/> describes: one inbound route and its authorization.</summary>
public sealed record InboundAccess(ImmutableArray<Caller> Callers, ImmutableArray<RequestMatch> Matches)
{
    /// <summary>
    /// Splits the calls into a service into routes. Linkerd applies only the authorizations of the single most specific
    /// route a request matches, so every distinct match gets exactly the callers whose declared calls cover it
    /// (a caller allowed <c>GET /orders/*</c> is also authorized on another caller's <c>GET /orders/special</c>),
    /// and matches with the same callers share a route.
    /// </summary>
    /// <param name="calls">Each caller into one service with the requests it may send (see <see cref="RequestMatch.Of"/>).</param>
    /// <returns>Routes in the order their first match was declared; each route's matches in declaration order.</returns>
    public static ImmutableArray<InboundAccess> Of(IEnumerable<(Caller Caller, IEnumerable<RequestMatch> Matches)> calls)
    {
        // Loops, not LINQ: this runs for every HTTP port of every service (a Linkerd plan's largest single cost).
        var allowed = calls.Select(c => (c.Caller, Matches: c.Matches.ToList())).ToList();
        var seen = new HashSet<RequestMatch>();
        var routes = new List<(ImmutableArray<Caller> Callers, ImmutableArray<RequestMatch>.Builder Matches)>();
        var byCallers = new Dictionary<string, int>(StringComparer.Ordinal); // the callers' names, in order -> route
        var callers = ImmutableArray.CreateBuilder<Caller>();
        var names = new StringBuilder();
        foreach (var (_, declared) in allowed)
        {
            foreach (var match in declared)
            {
                if (!seen.Add(match))
                {
                    continue;
                }

                callers.Clear();
                names.Clear();
                foreach (var (caller, matches) in allowed)
                {
                    if (AnyCovers(matches, match))
                    {
                        names.Append(callers.Count == 0 ? "" : " ").Append(caller.Name);
                        callers.Add(caller);
                    }
                }

                var key = names.ToString();
                if (!byCallers.TryGetValue(key, out var route))
                {
                    route = routes.Count;
                    byCallers.Add(key, route);
                    routes.Add((callers.ToImmutable(), ImmutableArray.CreateBuilder<RequestMatch>()));
                }

                routes[route].Matches.Add(match);
            }
        }

        return [.. routes.Select(r => new InboundAccess(r.Callers, r.Matches.ToImmutable()))];
    }

    private static bool AnyCovers(List<RequestMatch> matches, RequestMatch match)
    {
        foreach (var m in matches)
        {
            if (m.Covers(match))
            {
                return true;
            }
        }

        return false;
    }
}
