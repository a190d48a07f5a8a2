using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>The defaults (values.yaml) and optional values.schema.json of one Helm chart.</summary>
public sealed class HelmChartValues
{
    // Istio keeps every default under this key; its templates merge the user's top-level values over it.
    private const string IstioDefaultsKey = "_internal_defaults_do_not_set";

    private static readonly string[] LinkerdCharts = ["linkerd-crds", "linkerd-control-plane", "linkerd-viz"];

    // What a Kubernetes ResourceRequirements map may hold; see CompareNested.
    private static readonly JsonObject ResourceRequirementsKeys = new() { ["requests"] = null, ["limits"] = null, ["claims"] = null };

    private readonly JsonObject defaults;
    private readonly JsonObject? schema;

    private readonly IReadOnlySet<string> undeclaredPaths;

    private HelmChartValues(JsonObject defaults, JsonObject? schema, IReadOnlySet<string>? undeclaredPaths = null)
    {
        this.defaults = defaults;
        this.schema = schema;
        this.undeclaredPaths = undeclaredPaths ?? new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>
    /// This chart, also accepting the dotted <paramref name="paths"/> (and anything below them): keys its values.yaml
    /// does not declare but its templates read, each a documented exception of the planner that sets it.
    /// </summary>
    public HelmChartValues WithUndeclaredPaths(IEnumerable<string> paths) =>
        new(defaults, schema, new HashSet<string>(paths.Concat(undeclaredPaths), StringComparer.Ordinal));

    /// <summary>
    /// Whether the chart's values name a container image (an <c>image</c>, <c>hub</c>, <c>registry</c>,
    /// <c>repository</c>, <c>image_name</c>, <c>controllerImage</c> or <c>defaultRegistry</c> key anywhere): the charts
    /// whose pods a private registry must serve.
    /// </summary>
    public bool DeclaresImages => NamesImage(defaults);

    private static readonly HashSet<string> ImageKeys = new(StringComparer.Ordinal) { "image", "hub", "registry", "repository", "image_name", "controllerImage", "defaultRegistry" };

    private static bool NamesImage(JsonNode? node) => node switch
    {
        JsonObject obj => obj.Any(p => ImageKeys.Contains(p.Key) || NamesImage(p.Value)),
        JsonArray list => list.Any(NamesImage),
        _ => false,
    };

    /// <summary>Whether the chart ships a values.schema.json (only then does <see cref="SchemaErrors"/> check anything).</summary>
    public bool HasSchema => schema is not null;

    /// <summary>Reads a values.yaml (unwrapping Istio's <c>_internal_defaults_do_not_set</c>) and the values.schema.json beside it, if any.</summary>
    public static HelmChartValues Load(string valuesYamlPath) => new(ReadDefaults(valuesYamlPath), ReadSchema(valuesYamlPath));

    /// <summary>An Istio chart of <see cref="ReferenceData.IstioVersion"/>: base, istiod, gateway, ztunnel or cni.</summary>
    public static HelmChartValues Istio(string chart)
    {
        if (!IstioChartConventions.Charts.Contains(chart))
        {
            throw new ArgumentException($"Unknown Istio chart '{chart}'; expected one of {string.Join(", ", IstioChartConventions.Charts)}.", nameof(chart));
        }

        var valuesPath = Path.Combine(ReferenceData.IstioChart(chart), "values.yaml");
        return new(IstioChartConventions.Apply(chart, ReadDefaults(valuesPath)), ReadSchema(valuesPath));
    }

    /// <summary>A Linkerd chart of <see cref="ReferenceData.LinkerdChartVersion"/>: linkerd-crds, linkerd-control-plane or linkerd-viz.</summary>
    public static HelmChartValues Linkerd(string chart) =>
        LinkerdCharts.Contains(chart)
            ? Load(Path.Combine(ReferenceData.LinkerdChart(chart), "values.yaml"))
            : throw new ArgumentException($"Unknown Linkerd chart '{chart}'; expected one of {string.Join(", ", LinkerdCharts)}.", nameof(chart));

    /// <summary>A Flagger chart of <see cref="ReferenceData.FlaggerVersion"/>: flagger (1.44.0) or loadtester (0.38.0).</summary>
    public static HelmChartValues Flagger(string chart) =>
        chart is "flagger" or "loadtester"
            ? Load(Path.Combine(ReferenceData.FlaggerChart(chart), "values.yaml"))
            : throw new ArgumentException($"Unknown Flagger chart '{chart}'; expected flagger or loadtester.", nameof(chart));

    /// <summary>
    /// A Linkerd chart that also accepts <paramref name="templateReadKeys"/>: top-level keys its values.yaml does not
    /// declare but its templates read, as its values-ha.yaml sets them (their shape is taken from there).
    /// </summary>
    /// <exception cref="ArgumentException">A key is not set in values-ha.yaml, or values.yaml declares it after all:
    /// the list of exceptions must not outlive the chart version it was written for.</exception>
    public static HelmChartValues LinkerdWithHaKeys(string chart, IEnumerable<string> templateReadKeys)
    {
        var declared = Linkerd(chart);
        var ha = ReadDefaults(Path.Combine(ReferenceData.LinkerdChart(chart), "values-ha.yaml"));
        var defaults = declared.defaults.DeepClone().AsObject();
        foreach (var key in templateReadKeys)
        {
            if (defaults.ContainsKey(key))
            {
                throw new ArgumentException($"{chart}: '{key}' is declared in values.yaml; it is no exception.", nameof(templateReadKeys));
            }

            defaults[key] = ha[key]?.DeepClone() ?? throw new ArgumentException($"{chart}: '{key}' is not set in values-ha.yaml.", nameof(templateReadKeys));
        }

        return new(defaults, declared.schema);
    }

    /// <summary>The values-ha.yaml of a Linkerd chart, as shipped.</summary>
    public static JsonObject LinkerdHaValues(string chart) => ReadDefaults(Path.Combine(ReferenceData.LinkerdChart(chart), "values-ha.yaml"));

    /// <summary>
    /// Dotted paths of keys we set that the chart does not declare. Below a default that is an empty map or null
    /// (podAnnotations, nodeSelector, ...) anything goes; a default holding only requests/limits is taken as a whole
    /// Kubernetes ResourceRequirements; lists and scalars we set are not looked into.
    /// Setting a map where the default is a scalar or a list is reported as a type mismatch.
    /// </summary>
    public IReadOnlyList<string> UnknownKeys(JsonNode values)
    {
        var found = new List<string>();
        CompareMapping(defaults, AsMapping(values), "", found);
        return [.. found.Where(path => !undeclaredPaths.Any(allowed => path == allowed || path.StartsWith(allowed + ".", StringComparison.Ordinal)))];
    }

    /// <summary>Errors from the chart's values.schema.json; empty when the chart has no schema.</summary>
    public IReadOnlyList<string> SchemaErrors(JsonNode values) =>
        schema is null ? [] : new SchemaValidator(schema, SchemaDialect.JsonSchema).Validate(schema, AsMapping(values));

    private static void CompareMapping(JsonObject chartDefaults, JsonObject ours, string path, List<string> found)
    {
        foreach (var (key, value) in ours)
        {
            var keyPath = JsonPath.Property(path, key);
            if (!chartDefaults.TryGetPropertyValue(key, out var chartDefault))
            {
                found.Add(keyPath);
            }
            else if (value is JsonObject mapping)
            {
                CompareNested(chartDefault, mapping, keyPath, found);
            }
        }
    }

    private static void CompareNested(JsonNode? chartDefault, JsonObject ours, string path, List<string> found)
    {
        switch (chartDefault)
        {
            // Charts render such a default with toYaml, so it only shows an example: requests without limits, say.
            case JsonObject declared when declared.Count > 0 && declared.All(entry => ResourceRequirementsKeys.ContainsKey(entry.Key)):
                CompareMapping(ResourceRequirementsKeys, ours, path, found);
                break;
            case JsonObject declared when declared.Count > 0:
                CompareMapping(declared, ours, path, found);
                break;
            case null or JsonObject:
                break;
            default:
                found.Add($"{path} (type mismatch: the chart default is {JsonKinds.Name(chartDefault)}, we set a map)");
                break;
        }
    }

    private static JsonObject AsMapping(JsonNode values) =>
        values as JsonObject ?? throw new ArgumentException($"Helm values must be a map, got {JsonKinds.Name(values)}.", nameof(values));

    private static JsonObject ReadDefaults(string valuesYamlPath)
    {
        // An empty values.yaml parses to null.
        var values = YamlJson.ParseOne(File.ReadAllText(valuesYamlPath)) as JsonObject ?? new JsonObject();
        return values[IstioDefaultsKey] as JsonObject ?? values;
    }

    private static JsonObject? ReadSchema(string valuesYamlPath)
    {
        var schemaPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(valuesYamlPath))!, "values.schema.json");
        return File.Exists(schemaPath) ? JsonNode.Parse(File.ReadAllText(schemaPath))!.AsObject() : null;
    }
}
