using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

public enum MtlsMode
{
    Strict,
    Permissive,
}

public sealed record SecuritySettings(MtlsMode Mtls, ImmutableSortedDictionary<string, MtlsMode> NamespaceMtls, bool DefaultDeny)
{
    internal static SecuritySettings Read(ConfigNode node, bool production, IReadOnlyList<string> namespaces)
    {
        node.IsMapping("mtls", "namespaceMtls", "defaultDeny");
        var mode = ReadMtls(node["mtls"], production, "STRICT") ?? MtlsMode.Strict;
        var perNamespace = node["namespaceMtls"];
        perNamespace.IsMapping();
        foreach (var unknown in perNamespace.Keys().Where(ns => !namespaces.Contains(ns)))
        {
            // A typo would otherwise leave the real namespace on the mesh-wide mode without a word.
            perNamespace[unknown].Error($"'{unknown}' is not a namespace of the catalog; known: {string.Join(", ", namespaces.Order(StringComparer.Ordinal))}");
        }

        var overrides = perNamespace.Keys()
            .Where(namespaces.Contains)
            .Select(ns => (ns, mode: ReadMtls(perNamespace[ns], production, null)))
            .Where(e => e.mode is not null)
            .ToImmutableSortedDictionary(e => e.ns, e => e.mode!.Value, StringComparer.Ordinal);
        var defaultDeny = node["defaultDeny"].Bool(true);
        if (production && !defaultDeny)
        {
            node["defaultDeny"].Error("'false' is not allowed in prod; allowed: true (only least-privilege allow rules open traffic there)");
        }

        return new SecuritySettings(mode, overrides, defaultDeny);
    }

    private static MtlsMode? ReadMtls(ConfigNode node, bool production, string? defaultMode)
    {
        string[] modes = ["STRICT", "PERMISSIVE"];
        var value = defaultMode is null ? node.OneOf(modes) : node.OneOf(defaultMode, modes);
        if (value == "PERMISSIVE" && production)
        {
            node.Error("'PERMISSIVE' is not allowed in prod; allowed: STRICT");
            return null;
        }

        return value switch
        {
            "STRICT" => MtlsMode.Strict,
            "PERMISSIVE" => MtlsMode.Permissive,
            _ => null,
        };
    }
}
