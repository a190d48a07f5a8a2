using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>How a schema is applied.</summary>
internal enum SchemaDialect
{
    /// <summary>
    /// Kubernetes structural schema (CRDs): defaults are applied first, as the API server does, and a field the schema does
    /// not declare is an error, because the API server prunes it or, with strict field validation, rejects it.
    /// </summary>
    Structural,

    /// <summary>Plain JSON schema (Helm values.schema.json): undeclared fields are allowed unless additionalProperties is false.</summary>
    JsonSchema,
}

/// <summary>Validates JSON against the OpenAPI v3 / JSON-schema subset used by CRDs and Helm values schemas.</summary>
/// <param name="document">The whole schema document, against which <c>$ref: "#/..."</c> pointers resolve.</param>
internal sealed class SchemaValidator(JsonObject document, SchemaDialect dialect)
{
    private static readonly string[] EmbeddedResourceFields = ["apiVersion", "kind", "metadata"];

    /// <summary>Errors found in <paramref name="value"/>; in the structural dialect, defaulting adds fields to it.</summary>
    public IReadOnlyList<string> Validate(JsonObject schema, JsonNode? value)
    {
        var errors = new List<string>();
        Check(schema, value, "", dialect == SchemaDialect.Structural, errors);
        return errors;
    }

    // structural: the node is under the main schema of a CRD (not a combinator branch), so defaults apply and
    // undeclared fields are errors.
    private void Check(JsonObject schema, JsonNode? value, string path, bool structural, List<string> errors)
    {
        // draft-07: a $ref replaces the schema it sits in.
        if (schema["$ref"] is JsonValue reference)
        {
            Check(Resolve(reference.GetValue<string>()), value, path, structural, errors);
            return;
        }

        if (value is null)
        {
            CheckNull(schema, path, errors);
            return;
        }

        if (!HasAllowedType(schema, value, path, errors))
        {
            return;
        }

        ValueConstraints.Check(schema, value, path, errors);
        if (value is JsonObject obj)
        {
            CheckObject(schema, obj, path, structural, errors);
        }
        else if (value is JsonArray array)
        {
            CheckArray(schema, array, path, structural, errors);
        }

        CheckCombinators(schema, value, path, errors);
    }

    private static IReadOnlyList<string> AllowedTypes(JsonObject schema) =>
        SchemaKeywords.Flag(schema, "x-kubernetes-int-or-string")
            ? [.. SchemaKeywords.Strings(schema, "type"), "integer", "string"]
            : SchemaKeywords.Strings(schema, "type");

    private static bool HasAllowedType(JsonObject schema, JsonNode value, string path, List<string> errors)
    {
        var allowed = AllowedTypes(schema);
        var actual = JsonKinds.Name(value);
        if (allowed.Count == 0 || allowed.Contains(actual) || (actual == "integer" && allowed.Contains("number")))
        {
            return true;
        }

        errors.Add($"{JsonPath.Show(path)}: expected {string.Join(" or ", allowed)}, got {actual}");
        return false;
    }

    private static void CheckNull(JsonObject schema, string path, List<string> errors)
    {
        var allowed = AllowedTypes(schema);
        if (allowed.Count > 0 && !allowed.Contains("null") && !SchemaKeywords.Flag(schema, "nullable"))
        {
            errors.Add($"{JsonPath.Show(path)}: expected {string.Join(" or ", allowed)}, got null");
        }
    }

    private void CheckObject(JsonObject schema, JsonObject obj, string path, bool structural, List<string> errors)
    {
        var properties = schema["properties"] as JsonObject;
        if (structural && properties is not null)
        {
            ApplyDefaults(properties, obj);
        }

        foreach (var (name, child) in obj)
        {
            var childPath = JsonPath.Property(path, name);
            if (properties is not null && properties.TryGetPropertyValue(name, out var property))
            {
                if (property is JsonObject propertySchema)
                {
                    Check(propertySchema, child, childPath, structural, errors);
                }
            }
            else if (!AcceptsUndeclared(schema, name, child, childPath, structural, errors))
            {
                errors.Add($"{childPath}: unknown field");
            }
        }

        foreach (var name in SchemaKeywords.Strings(schema, "required").Where(name => !obj.ContainsKey(name)))
        {
            errors.Add($"{JsonPath.Property(path, name)}: required field is missing");
        }

        CheckCount(schema, obj.Count, "Properties", path, errors);
    }

    private static void ApplyDefaults(JsonObject properties, JsonObject obj)
    {
        foreach (var (name, property) in properties)
        {
            if (property?["default"] is { } value && !obj.ContainsKey(name))
            {
                obj[name] = value.DeepClone();
            }
        }
    }

    private bool AcceptsUndeclared(JsonObject schema, string name, JsonNode? child, string childPath, bool structural, List<string> errors)
    {
        switch (schema["additionalProperties"])
        {
            case JsonObject additional:
                Check(additional, child, childPath, structural, errors);
                return true;
            case JsonValue flag:
                return flag.GetValue<bool>();
            default:
                return !structural
                    || SchemaKeywords.Flag(schema, "x-kubernetes-preserve-unknown-fields")
                    || (SchemaKeywords.Flag(schema, "x-kubernetes-embedded-resource") && EmbeddedResourceFields.Contains(name));
        }
    }

    private void CheckArray(JsonObject schema, JsonArray array, string path, bool structural, List<string> errors)
    {
        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(items, array[i], JsonPath.Item(path, i), structural, errors);
            }
        }

        CheckCount(schema, array.Count, "Items", path, errors);
    }

    private static void CheckCount(JsonObject schema, int count, string noun, string path, List<string> errors)
    {
        if (SchemaKeywords.TryGetNumber(schema, "min" + noun, out var min) && count < min)
        {
            errors.Add($"{JsonPath.Show(path)}: {count} {noun.ToLowerInvariant()}, fewer than min{noun} {min}");
        }

        if (SchemaKeywords.TryGetNumber(schema, "max" + noun, out var max) && count > max)
        {
            errors.Add($"{JsonPath.Show(path)}: {count} {noun.ToLowerInvariant()}, more than max{noun} {max}");
        }
    }

    // Combinators are value validations on the same node; the fields they mention are declared (or not) by the main
    // schema, so they never report unknown fields themselves.
    private void CheckCombinators(JsonObject schema, JsonNode value, string path, List<string> errors)
    {
        foreach (var part in SchemaKeywords.Schemas(schema, "allOf"))
        {
            Check(part, value, path, structural: false, errors);
        }

        var anyOf = SchemaKeywords.Schemas(schema, "anyOf");
        if (anyOf.Count > 0 && !anyOf.Any(alternative => Matches(alternative, value, path)))
        {
            errors.Add($"{JsonPath.Show(path)}: matches none of the {anyOf.Count} anyOf alternatives");
        }

        var oneOf = SchemaKeywords.Schemas(schema, "oneOf");
        var matched = oneOf.Count(alternative => Matches(alternative, value, path));
        if (oneOf.Count > 0 && matched != 1)
        {
            errors.Add($"{JsonPath.Show(path)}: matches {matched} of the {oneOf.Count} oneOf alternatives, expected exactly one");
        }

        if (schema["not"] is JsonObject not && Matches(not, value, path))
        {
            errors.Add($"{JsonPath.Show(path)}: matches the schema under \"not\"");
        }
    }

    private bool Matches(JsonObject schema, JsonNode value, string path)
    {
        var errors = new List<string>();
        Check(schema, value, path, structural: false, errors);
        return errors.Count == 0;
    }

    private JsonObject Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Only local $ref pointers are supported, got '{reference}'.");
        }

        JsonNode? target = document;
        foreach (var segment in reference[2..].Split('/'))
        {
            target = target?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
        }

        return target as JsonObject ?? throw new InvalidOperationException($"$ref '{reference}' does not point to a schema.");
    }
}
