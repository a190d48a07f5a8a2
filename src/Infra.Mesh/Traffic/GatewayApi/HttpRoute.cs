using System.Collections.Immutable;
using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Traffic.GatewayApi;

/// <summary>
/// A Gateway API HTTPRoute (<c>gateway.networking.k8s.io/v1</c>, standard channel). Its parent is a Gateway, a Service
/// (GAMMA: the route applies to traffic sent to that Service) or a mesh-specific kind such as Linkerd's Server.
/// </summary>
public sealed class HttpRoute(V1ObjectMeta metadata, HttpRouteSpec spec)
    : CustomResource<HttpRouteSpec>(GatewayApiGroup.ApiVersion, "HTTPRoute", metadata, spec, GatewayApiJson.Default);

public sealed record HttpRouteSpec(ImmutableArray<ParentReference> ParentRefs, ImmutableArray<HttpRouteRule> Rules);

/// <param name="Group">"" is the core API group (a Service).</param>
/// <param name="Port">For a Service parent: the route applies to this port only.</param>
public sealed record ParentReference(string Group, string Kind, string Name, int? Port = null)
{
    public static ParentReference Service(string name, int port) => new("", "Service", name, port);
}

public sealed record HttpRouteRule(
    ImmutableArray<HttpRouteMatch>? Matches = null,
    ImmutableArray<BackendReference>? BackendRefs = null,
    HttpRouteTimeouts? Timeouts = null);

public sealed record HttpRouteMatch(HttpPathMatch? Path = null, string? Method = null, ImmutableArray<HttpHeaderMatch>? Headers = null);

public sealed record HttpPathMatch(string Type, string Value)
{
    public static HttpPathMatch Exact(string value) => new("Exact", value);

    public static HttpPathMatch Prefix(string value) => new("PathPrefix", value);
}

public sealed record HttpHeaderMatch(string Name, string Value);

/// <summary>A Service port and its share of the rule's traffic.</summary>
public sealed record BackendReference(string Name, int Port, int Weight);

/// <summary>Gateway API durations (GEP-2257), e.g. <c>5s</c>.</summary>
public sealed record HttpRouteTimeouts(string Request);

public static class GatewayApiGroup
{
    public const string Group = "gateway.networking.k8s.io";
    public const string ApiVersion = Group + "/v1";
}
