using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>Values an Istio chart's templates accept beyond what its values.yaml declares.</summary>
internal static class IstioChartConventions
{
    // Keys whose content the chart also merges into the root values: templates/zzy_descope_legacy.yaml in istiod (.pilot)
    // and cni (.cni); the "Flatten globals" step of templates/zzz_profile.yaml in gateway and ztunnel (.global).
    private static readonly Dictionary<string, string?> DescopedKeys = new(StringComparer.Ordinal)
    {
        ["base"] = null,
        ["istiod"] = "pilot",
        ["gateway"] = "global",
        ["ztunnel"] = "global",
        ["cni"] = "cni",
    };

    public static IReadOnlyCollection<string> Charts => DescopedKeys.Keys;

    /// <summary>Adds the accepted-but-undeclared keys to <paramref name="defaults"/> and returns it.</summary>
    public static JsonObject Apply(string chart, JsonObject defaults)
    {
        // Every chart's zzz_profile.yaml reads these to pick a profiles/ file; none of the values.yaml files declares them.
        defaults.TryAdd("profile", null);
        defaults.TryAdd("platform", null);
        defaults.TryAdd("compatibilityVersion", null);
        if (defaults["global"] is JsonObject global)
        {
            global.TryAdd("profile", null);
            global.TryAdd("platform", null);
        }

        // istiod renders meshConfig as the whole MeshConfig proto (istio.io/docs/reference/config/istio.mesh.v1alpha1/);
        // values.yaml shows a single field of it.
        if (chart == "istiod")
        {
            defaults["meshConfig"] = null;
        }

        if (DescopedKeys[chart] is { } key)
        {
            defaults[key] = DescopedView(defaults, key);
        }

        return defaults;
    }

    // What may be set under the descoped key: any root key (except the key itself) plus whatever the key declares.
    private static JsonObject DescopedView(JsonObject defaults, string key)
    {
        var view = defaults.DeepClone().AsObject();
        view.Remove(key);
        if (defaults[key] is JsonObject own)
        {
            MergeInto(view, own);
        }

        return view;
    }

    private static void MergeInto(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source)
        {
            if (target[key] is JsonObject targetMap && value is JsonObject sourceMap)
            {
                MergeInto(targetMap, sourceMap);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }
}
