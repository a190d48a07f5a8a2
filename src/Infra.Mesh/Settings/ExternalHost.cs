using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

public enum ExternalProtocol
{
    /// <summary>The app speaks TLS itself; the proxy passes it through by SNI.</summary>
    Tls,

    /// <summary>Plain TCP (PostgreSQL, Kafka, Redis...): the proxy can only route it by address and port.</summary>
    Tcp,
}

/// <summary>A host outside the catalog the service may reach: a managed database, a SaaS API, or an in-cluster Service.</summary>
public sealed record ExternalHost(string Host, int Port, ExternalProtocol Protocol)
{
    public const int DefaultTlsPort = 443;

    private const string ClusterSuffix = "." + Names.ClusterDomain;

    /// <summary>The namespace of a Kubernetes Service (<c>name.namespace.svc.cluster.local</c>); null for a host outside the cluster.</summary>
    public string? ClusterNamespace => Host.EndsWith(ClusterSuffix, StringComparison.Ordinal)
        ? Host[..^ClusterSuffix.Length].Split('.') is [_, var ns] ? ns : null
        : null;

    public bool InCluster => ClusterNamespace is not null;

    /// <summary>
    /// Each entry is a host (TLS on 443, the original form) or a mapping <c>{host, port, protocol}</c> for anything
    /// else, such as a PostgreSQL database on TCP 5432.
    /// </summary>
    internal static ImmutableArray<ExternalHost> ReadAll(ConfigNode node)
    {
        const string HostDescription = "a DNS host name such as api.stripe.com or orders-db.shop.svc.cluster.local";
        var hosts = new List<ExternalHost>();
        foreach (var item in node.Items())
        {
            var entry = item.IsScalar ? ReadHostOnly(item) : ReadHostMapping(item);
            if (entry is null)
            {
                continue;
            }

            var hostNode = item.IsScalar ? item : item["host"];
            if (entry.Host.EndsWith("." + Names.ClusterDomain, StringComparison.Ordinal) && !Names.ClusterServiceHost().IsMatch(entry.Host))
            {
                hostNode.Error($"'{entry.Host}' is not a Kubernetes Service host; expected <service>.<namespace>.svc.cluster.local");
            }
            else if (entry.Protocol == ExternalProtocol.Tcp && entry.Host.StartsWith("*.", StringComparison.Ordinal))
            {
                // Without SNI the proxy cannot tell which host under a wildcard a TCP connection is for.
                hostNode.Error($"'{entry.Host}' is a wildcard, which only protocol tls allows; name the exact host");
            }
            else if (hosts.Any(h => h.Host == entry.Host && h.Port == entry.Port))
            {
                hostNode.Error($"'{entry.Host}' port {entry.Port} is declared more than once");
            }
            else
            {
                hosts.Add(entry);
            }
        }

        return [.. hosts];

        static ExternalHost? ReadHostOnly(ConfigNode item) =>
            item.Matching(Names.Host(), HostDescription) is { } host ? new ExternalHost(host, ExternalHost.DefaultTlsPort, ExternalProtocol.Tls) : null;

        static ExternalHost? ReadHostMapping(ConfigNode item)
        {
            if (!item.IsMapping("host", "port", "protocol"))
            {
                return null;
            }

            var host = item["host"].RequiredText() is not null ? item["host"].Matching(Names.Host(), HostDescription) : null;
            var protocol = item["protocol"].OneOf("tls", "tls", "tcp");
            var port = item["port"].Exists ? item["port"].WholeNumber(1, 65535)
                : protocol == "tcp" ? item["port"].Missing<int?>(" (a tcp host has no default port; allowed: 1..65535)")
                : ExternalHost.DefaultTlsPort;
            return host is null || port is null
                ? null
                : new ExternalHost(host, port.Value, protocol == "tcp" ? ExternalProtocol.Tcp : ExternalProtocol.Tls);
        }
    }
}
