using System.Text.Json.Serialization;

namespace Infra.Mesh.Traffic.GatewayApi;

/// <summary>
/// Source-generated System.Text.Json metadata of the Gateway API resources, so they serialize without reflection
/// (the fast build is Native AOT). <see cref="Planning.ObjectJson"/> puts it behind KubernetesClient's own metadata,
/// whose options (camelCase, nulls omitted, its converters) apply to these types as to the built-in ones.
/// </summary>
[JsonSerializable(typeof(KubernetesGateway))]
[JsonSerializable(typeof(GrpcRoute))]
[JsonSerializable(typeof(HttpRoute))]
internal sealed partial class GatewayApiJson : JsonSerializerContext;
