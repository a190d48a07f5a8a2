using System.Text.Json.Serialization;

namespace Infra.Mesh.Delivery.Flagger;

/// <summary>
/// Source-generated System.Text.Json metadata of the Flagger resources, so they serialize without reflection
/// (the fast build is Native AOT). <see cref="Planning.ObjectJson"/> puts it behind KubernetesClient's own metadata,
/// whose options (camelCase, nulls omitted, its converters) apply to these types as to the built-in ones.
/// </summary>
[JsonSerializable(typeof(Canary))]
[JsonSerializable(typeof(MetricTemplate))]
internal sealed partial class FlaggerJson : JsonSerializerContext;
