using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>
/// The served versions of a set of CustomResourceDefinitions, used to validate custom resources the way the API server
/// would: structural schema, with undeclared fields reported as errors.
/// </summary>
public sealed class CrdSchemaCatalog
{
    private static readonly Lazy<CrdSchemaCatalog> IstioCatalog = new(() => Load(ReferenceData.IstioCrds));
    private static readonly Lazy<CrdSchemaCatalog> LinkerdCatalog = new(() => Load(ReferenceData.LinkerdCrds));
    private static readonly Lazy<CrdSchemaCatalog> GatewayApiCatalog = new(() => Load(ReferenceData.GatewayApiCrds));
    private static readonly Lazy<CrdSchemaCatalog> FlaggerCatalog = new(() => Load(ReferenceData.FlaggerCrds));

    // (group, kind) -> served version name -> openAPIV3Schema
    private readonly Dictionary<(string Group, string Kind), Dictionary<string, JsonObject>> servedSchemas;

    // (group, kind) -> spec.names.plural, the resource name in the API's paths
    private readonly Dictionary<(string Group, string Kind), string> plurals;

    private CrdSchemaCatalog(Dictionary<(string Group, string Kind), Dictionary<string, JsonObject>> servedSchemas, Dictionary<(string Group, string Kind), string> plurals)
    {
        this.servedSchemas = servedSchemas;
        this.plurals = plurals;
    }

    /// <summary>Reads every CustomResourceDefinition in the given YAML files and directories (recursively); other documents are skipped.</summary>
    public static CrdSchemaCatalog Load(params string[] filesOrDirectories)
    {
        var schemas = new Dictionary<(string Group, string Kind), Dictionary<string, JsonObject>>();
        var plurals = new Dictionary<(string Group, string Kind), string>();
        var documents = filesOrDirectories.SelectMany(YamlFiles).SelectMany(file => YamlJson.ParseAll(File.ReadAllText(file)));
        foreach (var crd in documents.OfType<JsonObject>().Where(IsCrd))
        {
            var group = crd["spec"]!["group"]!.GetValue<string>();
            var kind = crd["spec"]!["names"]!["kind"]!.GetValue<string>();
            if (!schemas.TryAdd((group, kind), ServedSchemas(crd)))
            {
                throw new InvalidOperationException($"CRD for {kind}.{group} is defined more than once in {string.Join(", ", filesOrDirectories)}.");
            }

            plurals[(group, kind)] = crd["spec"]!["names"]!["plural"]!.GetValue<string>();
        }

        return new CrdSchemaCatalog(schemas, plurals);
    }

    /// <summary>Istio CRDs of <see cref="ReferenceData.IstioVersion"/>.</summary>
    public static CrdSchemaCatalog Istio() => IstioCatalog.Value;

    /// <summary>Linkerd CRDs of <see cref="ReferenceData.LinkerdVersion"/>.</summary>
    public static CrdSchemaCatalog Linkerd() => LinkerdCatalog.Value;

    /// <summary>Gateway API standard-channel CRDs of <see cref="ReferenceData.GatewayApiVersion"/>.</summary>
    public static CrdSchemaCatalog GatewayApi() => GatewayApiCatalog.Value;

    /// <summary>Flagger CRDs of <see cref="ReferenceData.FlaggerVersion"/>.</summary>
    public static CrdSchemaCatalog Flagger() => FlaggerCatalog.Value;

    /// <summary>The resource name (<c>spec.names.plural</c>) of a kind's CRD, or null when this catalog has none.</summary>
    public string? Plural(string group, string kind) => plurals.GetValueOrDefault((group, kind));

    /// <summary>Whether a CRD in this catalog serves <paramref name="apiVersion"/> for <paramref name="kind"/>.</summary>
    public bool Knows(string apiVersion, string kind)
    {
        var (group, version) = ResourceIdentity.SplitApiVersion(apiVersion);
        return servedSchemas.TryGetValue((group, kind), out var versions) && versions.ContainsKey(version);
    }

    /// <summary>Errors such as <c>VirtualService default/orders: spec.http[0].route[0].weight: expected integer, got string</c>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(JsonNode obj)
    {
        if (obj is not JsonObject resource)
        {
            return [$"expected a Kubernetes object, got {JsonKinds.Name(obj)}"];
        }

        var id = ResourceIdentity.Of(resource);
        if (!servedSchemas.TryGetValue((id.Group, id.Kind), out var versions))
        {
            return [$"{id.Label}: no CRD defines kind '{id.Kind}' in group '{id.Group}' (apiVersion '{id.ApiVersion}')"];
        }

        if (!versions.TryGetValue(id.Version, out var schema))
        {
            return [$"{id.Label}: {id.Kind}.{id.Group} has no served version '{id.Version}' (served: {string.Join(", ", versions.Keys)})"];
        }

        // apiVersion and kind were checked above; the CRD schema does not describe ObjectMeta. The copy also takes the defaults.
        var body = resource.DeepClone().AsObject();
        body.Remove("apiVersion");
        body.Remove("kind");
        body.Remove("metadata");
        var errors = MetadataErrors(resource["metadata"]).Concat(new SchemaValidator(schema, SchemaDialect.Structural).Validate(schema, body));
        return [.. errors.Select(error => $"{id.Label}: {error}")];
    }

    private static IEnumerable<string> MetadataErrors(JsonNode? metadata)
    {
        if (metadata is not JsonObject)
        {
            return [$"metadata: expected object, got {JsonKinds.Name(metadata)}"];
        }

        return metadata["name"] is JsonValue name && name.TryGetValue<string>(out var text) && text.Length > 0
            ? []
            : ["metadata.name: must be a non-empty string"];
    }

    private static Dictionary<string, JsonObject> ServedSchemas(JsonObject crd) =>
        crd["spec"]!["versions"]!.AsArray()
            .OfType<JsonObject>()
            .Where(version => SchemaKeywords.Flag(version, "served") && version["schema"]?["openAPIV3Schema"] is JsonObject)
            .ToDictionary(version => version["name"]!.GetValue<string>(), version => version["schema"]!["openAPIV3Schema"]!.AsObject());

    private static bool IsCrd(JsonObject obj) =>
        obj["kind"]?.GetValue<string>() == "CustomResourceDefinition"
        && obj["apiVersion"]?.GetValue<string>() is { } apiVersion
        && apiVersion.StartsWith("apiextensions.k8s.io/", StringComparison.Ordinal);

    private static IEnumerable<string> YamlFiles(string path)
    {
        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(IsYaml).Order(StringComparer.Ordinal);
        }

        return File.Exists(path) ? [path] : throw new FileNotFoundException($"No CRD file or directory at '{path}'.", path);
    }

    private static bool IsYaml(string file) =>
        file.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
}
