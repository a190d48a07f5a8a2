using System.Collections.Immutable;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>INFRA120: application ports (and an enabled nREPL port) the mesh's proxy takes for itself.</summary>
public sealed class PortRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.ReservedPort];

    /// <summary>
    /// Istio's sidecar ports, from "Ports used by Istio" (istio.io/v1.30/docs/ops/deployment/application-requirements):
    /// 15000 Envoy admin, 15001 outbound capture, 15004 debug, 15006 inbound capture, 15008 HBONE mTLS tunnel,
    /// 15009 HBONE on secure networks, 15020 merged metrics and agent, 15021 health, 15053 DNS proxy, 15090 Envoy
    /// Prometheus (the pinned istiod chart's <c>global.proxy.statusPort: 15020</c>,
    /// ../shared/reference/istio/1.30.3/charts/istiod/values.yaml). The iptables rules send every other inbound port to 15006.
    /// </summary>
    public static ImmutableSortedDictionary<int, string> IstioReserved { get; } = new Dictionary<int, string>
    {
        [15000] = "Envoy admin", [15001] = "Envoy outbound capture", [15004] = "debug", [15006] = "Envoy inbound capture",
        [15008] = "HBONE mTLS tunnel", [15009] = "HBONE (secure networks)", [15020] = "merged Prometheus metrics and agent",
        [15021] = "sidecar health", [15053] = "DNS proxy", [15090] = "Envoy Prometheus telemetry",
    }.ToImmutableSortedDictionary();

    /// <summary>
    /// Linkerd's proxy ports from the pinned chart (../shared/reference/linkerd/edge-26.8.3/charts/linkerd-control-plane/values.yaml,
    /// <c>proxy.ports</c>: admin 4191, control 4190, inbound 4143, outbound 4140) and the ports its iptables rules skip
    /// in both directions (<c>proxyInit.ignoreInboundPorts</c>/<c>ignoreOutboundPorts: "4567,4568"</c>, for Galera): an
    /// application port there bypasses the proxy, so it gets neither mTLS nor authorization.
    /// </summary>
    public static ImmutableSortedDictionary<int, string> LinkerdReserved { get; } = new Dictionary<int, string>
    {
        [4140] = "proxy outbound", [4143] = "proxy inbound", [4190] = "proxy control", [4191] = "proxy admin",
        [4567] = "skipped by proxy-init (never meshed)", [4568] = "skipped by proxy-init (never meshed)",
    }.ToImmutableSortedDictionary();

    public void Check(RuleContext context)
    {
        var reserved = context.Settings.Mesh == MeshKind.Linkerd ? LinkerdReserved : IstioReserved;
        var mesh = context.Settings.Mesh == MeshKind.Linkerd ? "Linkerd" : "Istio";
        var allowed = $"any port but {string.Join(", ", reserved.Keys)}";
        foreach (var service in context.Settings.Services.Where(s => s.Injected))
        {
            foreach (var port in service.Ports.Where(p => reserved.ContainsKey(p.Port)))
            {
                context.Report(RuleCatalog.ReservedPort, context.Port(service, port)["port"],
                    $"{port.Port} is {mesh}'s {reserved[port.Port]} port in every meshed pod; allowed: {allowed}");
            }

            if (service.Nrepl.Enabled && reserved.TryGetValue(service.Nrepl.Port, out var use))
            {
                context.Report(RuleCatalog.ReservedPort, context.Service(service)["nrepl"]["port"],
                    $"{service.Nrepl.Port} is {mesh}'s {use} port in every meshed pod; allowed: {allowed}");
            }
        }
    }
}
