using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Infra.Testing;

/// <summary>
/// Validates built-in Kubernetes objects (Deployment, Service, RBAC, ...) against the KubernetesClient models: the object is
/// deserialized into its model type and serialized back; a field that does not survive the round trip is unknown to the API.
/// </summary>
public static class BuiltinObjectValidator
{
    private static readonly MethodInfo DeserializeMethod =
        typeof(BuiltinObjectValidator).GetMethod(nameof(Deserialize), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly Lazy<Dictionary<(string Group, string Version, string Kind), Type>> ModelTypes = new(FindModelTypes);

    /// <summary>Whether KubernetesClient has a model for <paramref name="apiVersion"/> <paramref name="kind"/>.</summary>
    public static bool Knows(string apiVersion, string kind)
    {
        var (group, version) = ResourceIdentity.SplitApiVersion(apiVersion);
        return ModelTypes.Value.ContainsKey((group, version, kind));
    }

    /// <summary>
    /// Unknown fields and type mismatches, e.g. <c>Deployment shop/orders: spec.template.spec.containers[0].imagePullPolicyy: unknown field</c>;
    /// empty when valid.
    /// </summary>
    public static IReadOnlyList<string> Validate(JsonNode obj)
    {
        if (obj is not JsonObject resource)
        {
            return [$"expected a Kubernetes object, got {JsonKinds.Name(obj)}"];
        }

        var id = ResourceIdentity.Of(resource);
        if (!ModelTypes.Value.TryGetValue((id.Group, id.Version, id.Kind), out var modelType))
        {
            return [$"{id.Label}: '{id.ApiVersion}' '{id.Kind}' is not a built-in kind known to KubernetesClient"];
        }

        var errors = new List<string>();
        if (RoundTrip(modelType, resource, errors) is { } roundTripped)
        {
            CollectDropped(resource, roundTripped, "", errors);
        }

        return [.. errors.Select(error => $"{id.Label}: {error}")];
    }

    private static JsonNode? RoundTrip(Type modelType, JsonObject resource, List<string> errors)
    {
        var deserialize = DeserializeMethod.MakeGenericMethod(modelType).CreateDelegate<Func<string, object?>>();
        try
        {
            return JsonNode.Parse(KubernetesJson.Serialize(deserialize(resource.ToJsonString())!));
        }
        catch (JsonException e)
        {
            // The message ends with " Path: $.spec.replicas | LineNumber: ..."; the path is reported separately.
            var reason = e.Message.Split(" Path: ")[0];
            errors.Add($"{JsonPath.Show(e.Path?.TrimStart('$').TrimStart('.') ?? "")}: {reason}");
        }
        catch (FormatException e)
        {
            // e.g. an unparsable resource quantity; the model does not say where.
            errors.Add($"{modelType.Name}: {e.Message}");
        }

        return null;
    }

    private static object? Deserialize<T>(string json) => KubernetesJson.Deserialize<T>(json);

    // Only key presence is compared: leaf values may be normalised (IntOrString, resource quantities).
    private static void CollectDropped(JsonNode? original, JsonNode? roundTripped, string path, List<string> errors)
    {
        switch (original)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.Where(property => property.Value is not null))
                {
                    var childPath = JsonPath.Property(path, name);
                    if (roundTripped is JsonObject after && after.TryGetPropertyValue(name, out var afterValue))
                    {
                        CollectDropped(value, afterValue, childPath, errors);
                    }
                    else
                    {
                        errors.Add($"{childPath}: unknown field");
                    }
                }

                break;
            case JsonArray array when roundTripped is JsonArray afterArray:
                for (var i = 0; i < Math.Min(array.Count, afterArray.Count); i++)
                {
                    CollectDropped(array[i], afterArray[i], JsonPath.Item(path, i), errors);
                }

                break;
        }
    }

    private static Dictionary<(string Group, string Version, string Kind), Type> FindModelTypes() =>
        typeof(V1Pod).Assembly.GetTypes()
            .Select(type => (Type: type, Entity: type.GetCustomAttribute<KubernetesEntityAttribute>()))
            .Where(model => model.Entity is not null)
            .ToDictionary(model => (model.Entity!.Group, model.Entity.ApiVersion, model.Entity.Kind), model => model.Type);
}
