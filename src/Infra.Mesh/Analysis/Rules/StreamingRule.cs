using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA181. A route timeout bounds a whole request; a gRPC server, client or bidirectional stream is one request that
/// lasts as long as the stream, so the service's <c>traffic.timeout</c> cuts it (Istio: the VirtualService route's
/// <c>timeout</c>, Envoy answers DEADLINE_EXCEEDED; Linkerd: <c>timeout.linkerd.io/request</c> on the GRPCRoute), and
/// retries would replay its start. Many gRPC ports carry only unary calls, for which the timeout is right, so a gRPC
/// port under a timeout is asked to say which it is: <c>streaming: true</c> (no route timeout, no retries on that port)
/// or <c>streaming: false</c> (unary; the service's timeout and retries apply).
/// </summary>
public sealed class StreamingRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.UndeclaredStreaming];

    public void Check(RuleContext context)
    {
        foreach (var service in context.Settings.Services)
        {
            if (Durations.UnlessZero(service.Traffic.Timeout) is not { } timeout)
            {
                continue;
            }

            foreach (var port in service.Ports.Where(p => p.Protocol == PortProtocol.Grpc && p.Streaming is null))
            {
                context.Report(RuleCatalog.UndeclaredStreaming, context.Port(service, port),
                    $"gRPC port '{port.Name}' of '{service.Name}' gets the route timeout {timeout} and the service's retries: a server, client or "
                    + $"bidirectional stream on it is cut after {timeout}; declare streaming: true on the port (no route timeout, no retries there) "
                    + "or streaming: false (unary calls only)");
            }
        }
    }
}
