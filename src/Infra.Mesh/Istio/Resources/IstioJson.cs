using System.Text.Json.Serialization;

namespace Infra.Mesh.Istio.Resources;

/// <summary>
/// Source-generated System.Text.Json metadata of the Istio resources, so they serialize without reflection
/// (the fast build is Native AOT). <see cref="Planning.ObjectJson"/> puts it behind KubernetesClient's own metadata,
/// whose options (camelCase, nulls omitted, its converters) apply to these types as to the built-in ones.
/// </summary>
[JsonSerializable(typeof(DestinationRule))]
[JsonSerializable(typeof(VirtualService))]
[JsonSerializable(typeof(Gateway))]
[JsonSerializable(typeof(ServiceEntry))]
[JsonSerializable(typeof(Sidecar))]
[JsonSerializable(typeof(PeerAuthentication))]
[JsonSerializable(typeof(AuthorizationPolicy), TypeInfoPropertyName = "IstioAuthorizationPolicy")]
[JsonSerializable(typeof(Telemetry))]
internal sealed partial class IstioJson : JsonSerializerContext;
