using System.Text.Json.Nodes;

namespace Infra.Testing;

/// <summary>Values an Istio chart's templates accept beyond what its values.yaml declares.</summary>
public static class IstioChartConventions
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

    /// <summary>
    /// The values an Istio chart's templates see for <paramref name="values"/> installed with <paramref name="profile"/>
    /// (chart defaults left out): templates/zzz_profile.yaml merges the profile, then the user's values over it, key by
    /// key; then the descoped key's content (istiod <c>pilot</c>, cni <c>cni</c>, ztunnel/gateway <c>global</c>) is also
    /// read at the root.
    /// </summary>
    public static JsonObject WithProfile(string chart, JsonObject profile, JsonObject values)
    {
        var merged = new JsonObject();
        MergeInto(merged, profile);
        MergeInto(merged, values);
        if (DescopedKeys[chart] is { } key && merged[key] is JsonObject scoped)
        {
            MergeInto(merged, scoped.DeepClone().AsObject());
        }

        return merged;
    }

    /// <summary>Helm's mustMergeOverwrite: maps merge key by key, anything else is replaced.</summary>
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
