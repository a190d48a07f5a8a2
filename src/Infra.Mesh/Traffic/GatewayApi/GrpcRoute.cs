using System.Collections.Immutable;
using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Traffic.GatewayApi;

/// <summary>A Gateway API GRPCRoute (<c>gateway.networking.k8s.io/v1</c>): the gRPC counterpart of <see cref="HttpRoute"/>.</summary>
public sealed class GrpcRoute(V1ObjectMeta metadata, GrpcRouteSpec spec)
    : CustomResource<GrpcRouteSpec>(GatewayApiGroup.ApiVersion, "GRPCRoute", metadata, spec, GatewayApiJson.Default);

public sealed record GrpcRouteSpec(ImmutableArray<ParentReference> ParentRefs, ImmutableArray<GrpcRouteRule> Rules);

public sealed record GrpcRouteRule(ImmutableArray<GrpcRouteMatch>? Matches, ImmutableArray<BackendReference> BackendRefs);

public sealed record GrpcRouteMatch(ImmutableArray<HttpHeaderMatch> Headers);
