using System.Collections.Immutable;
using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Traffic.GatewayApi;

/// <summary>
/// A Gateway API Gateway (<c>gateway.networking.k8s.io/v1</c>, standard channel): a proxy deployment requested from the
/// controller that owns its <see cref="KubernetesGatewaySpec.GatewayClassName"/> (Istio's <c>istio-waypoint</c>, for example).
/// Named after Istio's own <c>gvk.KubernetesGateway</c>, to tell it from Istio's <c>networking.istio.io</c> Gateway.
/// </summary>
public sealed class KubernetesGateway(V1ObjectMeta metadata, KubernetesGatewaySpec spec)
    : CustomResource<KubernetesGatewaySpec>(GatewayApiGroup.ApiVersion, "Gateway", metadata, spec, GatewayApiJson.Default);

public sealed record KubernetesGatewaySpec(string GatewayClassName, ImmutableArray<GatewayListener> Listeners);

/// <param name="Protocol">A Gateway API protocol (<c>HTTP</c>, <c>TCP</c>, ...) or an implementation's own (Istio's <c>HBONE</c>).</param>
public sealed record GatewayListener(string Name, int Port, string Protocol);
