using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA102, INFRA103, INFRA104: what a call or a probe asks of a port must be something the port's protocol can carry.
/// </summary>
public sealed class ProtocolRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.HttpFieldsOnTcpCallee, RuleCatalog.ProbePathsIgnored, RuleCatalog.UnauthorizedProbe];

    private static readonly string[] PathKeys = ["readinessPath", "livenessPath"];

    public void Check(RuleContext context)
    {
        foreach (var caller in context.Settings.Services)
        {
            foreach (var call in caller.Calls.Where(c => !c.Methods.IsEmpty || !c.Paths.IsEmpty))
            {
                var callee = context.ServicesByName[call.Service];
                if (!callee.Ports.Any(p => p.IsHttp))
                {
                    // An Istio rule with methods or paths never matches TCP traffic; a Linkerd opaque Server has no routes to authorize.
                    var node = context.Call(caller, callee.Name);
                    context.Report(RuleCatalog.HttpFieldsOnTcpCallee, call.Methods.IsEmpty ? node["paths"] : node["methods"],
                        $"'{callee.Name}' has only TCP ports ({string.Join(", ", callee.Ports.Select(p => $"{p.Name}/{p.Port}"))}), where no request has a method or path; "
                        + "the call would never be authorized: remove methods and paths, or give the callee an http, http2 or grpc port");
                }
            }
        }

        foreach (var service in context.Settings.Services)
        {
            CheckProbes(context, service);
        }
    }

    /// <summary>The workload planner probes a gRPC port with a gRPC probe and a TCP port with tcpSocket, neither of which has a path.</summary>
    private static void CheckProbes(RuleContext context, ServiceSettings service)
    {
        var port = service.Ports.FirstOrDefault(p => p.Name == service.Health.Port);
        if (port is null || port.Protocol is PortProtocol.Http or PortProtocol.Http2)
        {
            return;
        }

        var health = context.Service(service)["health"];
        foreach (var key in PathKeys.Where(k => health[k].Exists))
        {
            context.Report(RuleCatalog.ProbePathsIgnored, health[key],
                $"'{health[key].Text()}' is ignored: health.port '{port.Name}' is {port.AppProtocol}, probed with a {(port.Protocol == PortProtocol.Grpc ? "grpc" : "tcpSocket")} probe; remove the path or name an http port");
        }

        if (context.Settings.Mesh == MeshKind.Linkerd && context.Service(service).Exists)
        {
            // Linkerd's policy controller authorizes kubelet only for httpGet probe paths (default probe routes); a gRPC
            // probe is refused by the port's deny Server, and a TCP connect is accepted by the proxy whatever the app does.
            var at = health["port"].Exists ? health["port"] : context.Service(service)["ports"];
            context.Report(RuleCatalog.UnauthorizedProbe, at,
                $"health.port '{port.Name}' is {port.AppProtocol}: on Linkerd {(port.Protocol == PortProtocol.Grpc ? "kubelet's gRPC probe has no identity and is refused by the port's Server" : "a tcpSocket probe is answered by the proxy, not the app")}; "
                + "set health.port to an http port serving readinessPath and livenessPath");
        }
    }
}
