using System.Text.Json.Serialization;

namespace Infra.Mesh.Linkerd.Resources;

/// <summary>
/// Source-generated System.Text.Json metadata of the Linkerd and cert-manager resources, so they serialize without reflection
/// (the fast build is Native AOT). <see cref="Planning.ObjectJson"/> puts it behind KubernetesClient's own metadata,
/// whose options (camelCase, nulls omitted, its converters) apply to these types as to the built-in ones.
/// </summary>
[JsonSerializable(typeof(AuthorizationPolicy), TypeInfoPropertyName = "LinkerdAuthorizationPolicy")]
[JsonSerializable(typeof(MeshTlsAuthentication))]
[JsonSerializable(typeof(NetworkAuthentication))]
[JsonSerializable(typeof(Issuer))]
[JsonSerializable(typeof(Certificate))]
[JsonSerializable(typeof(Server))]
internal sealed partial class LinkerdJson : JsonSerializerContext;
