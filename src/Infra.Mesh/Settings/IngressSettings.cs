using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

/// <summary>The mesh ingress for public services.</summary>
public sealed record IngressSettings(string Namespace, string TlsSecretName, int Replicas)
{
    internal static IngressSettings Read(ConfigNode node)
    {
        node.IsMapping("namespace", "tlsSecretName", "replicas");
        return new IngressSettings(
            node["namespace"].Matching(Names.Dns1123Label(), "a DNS-1123 label", "mesh-ingress"),
            node["tlsSecretName"].Matching(Names.Dns1123Label(), "the name of a kubernetes.io/tls Secret", "ingress-tls"),
            node["replicas"].WholeNumber(1, 1, 20));
    }
}

/// <summary>Exposed through the mesh's ingress under <paramref name="Host"/>.</summary>
public sealed record PublicSettings(string Host, ImmutableArray<string> PathPrefixes)
{
    internal static PublicSettings? Read(ConfigNode node)
    {
        if (!node.Exists)
        {
            return null;
        }

        node.IsMapping("host", "paths");
        var host = node["host"].RequiredText() is not null ? node["host"].Matching(Names.Host(), "a DNS host name such as api.example.com") : null;
        var paths = node["paths"].TextList();
        // Public paths are prefixes already: a trailing * would become a literal character in the ingress route.
        foreach (var path in paths.Where(p => !Names.HttpPath().IsMatch(p) || p.EndsWith('*')))
        {
            node["paths"].Error($"'{path}' is not an HTTP path prefix; expected /prefix (every path below it is public), without *");
        }

        return new PublicSettings(host ?? "", paths.Count > 0 ? [.. paths] : ["/"]);
    }
}
