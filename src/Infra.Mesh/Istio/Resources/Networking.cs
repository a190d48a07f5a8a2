using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Istio.Resources;

// networking.istio.io/v1 (the storage version in Istio 1.30): only the fields Infra sets.

public sealed class DestinationRule(V1ObjectMeta metadata, DestinationRuleSpec spec)
    : CustomResource<DestinationRuleSpec>(Networking.ApiVersion, "DestinationRule", metadata, spec, IstioJson.Default);

/// <param name="Subsets">Null: no subsets (nothing routes by version).</param>
public sealed record DestinationRuleSpec(string Host, TrafficPolicy TrafficPolicy, IReadOnlyList<Subset>? Subsets);

public sealed record Subset(string Name, IReadOnlyDictionary<string, string> Labels);

/// <param name="Tls">Null where the data plane secures traffic itself (ambient HBONE).</param>
public sealed record TrafficPolicy(ClientTls? Tls, ConnectionPool ConnectionPool, OutlierDetection OutlierDetection);

/// <summary>How the client side talks TLS: ISTIO_MUTUAL (mesh certificates) or DISABLE (to a pod without a sidecar).</summary>
public sealed record ClientTls(string Mode);

/// <param name="Tcp">Null: Envoy's default connection limit.</param>
public sealed record ConnectionPool(TcpPool? Tcp, HttpPool Http);

public sealed record TcpPool(int MaxConnections);

/// <param name="MaxRequestsPerConnection">Null means unlimited (keep-alive as long as the peer allows).</param>
public sealed record HttpPool(int Http1MaxPendingRequests, int? MaxRequestsPerConnection);

public sealed record OutlierDetection(int Consecutive5xxErrors, string Interval, string BaseEjectionTime, int MaxEjectionPercent);

public sealed class VirtualService(V1ObjectMeta metadata, VirtualServiceSpec spec)
    : CustomResource<VirtualServiceSpec>(Networking.ApiVersion, "VirtualService", metadata, spec, IstioJson.Default);

/// <param name="Gateways">Null for mesh-internal routing (the implicit <c>mesh</c> gateway).</param>
public sealed record VirtualServiceSpec(
    IReadOnlyList<string> Hosts,
    IReadOnlyList<string>? Gateways,
    IReadOnlyList<HttpRoute>? Http,
    IReadOnlyList<TcpRoute>? Tcp);

public sealed record HttpRoute(
    string Name,
    IReadOnlyList<HttpMatch>? Match,
    IReadOnlyList<RouteDestination> Route,
    string? Timeout,
    HttpRetry Retries);

/// <summary>Conditions within one match are ANDed; the matches of a route are ORed.</summary>
public sealed record HttpMatch(IReadOnlyDictionary<string, StringMatch>? Headers, StringMatch? Uri)
{
    /// <summary>The service port the request was sent to; null: any port.</summary>
    public int? Port { get; init; }
}

public sealed record StringMatch(string? Exact, string? Prefix);

/// <param name="RetryOn">Null: Istio's default conditions (only meaningful with attempts).</param>
public sealed record HttpRetry(int Attempts, string? PerTryTimeout, string? RetryOn)
{
    /// <summary>
    /// No retries. Leaving <c>retries</c> out would not do: Istio then applies its default policy (2 attempts), while
    /// <c>attempts: 0</c> disables retrying (pilot/pkg/networking/core/route/retry/retry.go ConvertPolicy).
    /// </summary>
    public static HttpRetry None { get; } = new(0, null, null);
}

public sealed record RouteDestination(Destination Destination, int Weight);

public sealed record Destination(string Host, string Subset, PortSelector? Port);

public sealed record PortSelector(int Number);

public sealed record TcpRoute(IReadOnlyList<L4Match> Match, IReadOnlyList<RouteDestination> Route);

public sealed record L4Match(int Port);

public sealed class Gateway(V1ObjectMeta metadata, GatewaySpec spec)
    : CustomResource<GatewaySpec>(Networking.ApiVersion, "Gateway", metadata, spec, IstioJson.Default);

public sealed record GatewaySpec(IReadOnlyDictionary<string, string> Selector, IReadOnlyList<Server> Servers);

public sealed record Server(string Name, ServerPort Port, IReadOnlyList<string> Hosts, ServerTls Tls);

public sealed record ServerPort(int Number, string Name, string Protocol);

/// <param name="CredentialName">A kubernetes.io/tls Secret in the gateway's namespace.</param>
public sealed record ServerTls(string? Mode, string? CredentialName, bool? HttpsRedirect);

public sealed class ServiceEntry(V1ObjectMeta metadata, ServiceEntrySpec spec)
    : CustomResource<ServiceEntrySpec>(Networking.ApiVersion, "ServiceEntry", metadata, spec, IstioJson.Default);

public sealed record ServiceEntrySpec(
    IReadOnlyList<string> Hosts,
    IReadOnlyList<string> ExportTo,
    string Location,
    string Resolution,
    IReadOnlyList<ServerPort> Ports);

public sealed class Sidecar(V1ObjectMeta metadata, SidecarSpec spec)
    : CustomResource<SidecarSpec>(Networking.ApiVersion, "Sidecar", metadata, spec, IstioJson.Default);

public sealed record SidecarSpec(WorkloadSelector WorkloadSelector, IReadOnlyList<EgressListener> Egress);

public sealed record WorkloadSelector(IReadOnlyDictionary<string, string> Labels);

/// <param name="Hosts"><c>namespace/dnsName</c> entries this workload's proxy is told about; nothing else is reachable.</param>
public sealed record EgressListener(IReadOnlyList<string> Hosts);

internal static class Networking
{
    public const string ApiVersion = "networking.istio.io/v1";
}
