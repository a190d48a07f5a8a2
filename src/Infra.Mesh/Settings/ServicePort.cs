using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

public enum PortProtocol
{
    Http,
    Http2,
    Grpc,
    Tcp,
}

public sealed record ServicePort(string Name, int Port, PortProtocol Protocol)
{
    /// <summary>
    /// <c>ports[].streaming</c> (HTTP, HTTP/2 and gRPC ports): <c>true</c> for a port that carries long-lived requests
    /// (gRPC server, client or bidirectional streams, server-sent events, long polling), which gets no route timeout and
    /// no retries; <c>false</c> for requests that finish (gRPC unary calls), which get the service's timeout and retries
    /// like any port; null when not declared (the same as false; on a gRPC port rule INFRA181 asks to declare it).
    /// </summary>
    public bool? Streaming { get; init; }

    /// <summary>Whether requests on this port are routed without a timeout and without retries (<see cref="Streaming"/>).</summary>
    public bool LongLived => Streaming == true;

    /// <summary>The protocol as Istio names it in <c>appProtocol</c> and port-name prefixes (each mesh's value: <see cref="Workloads.IInjection.AppProtocol"/>).</summary>
    public string AppProtocol => Protocol switch
    {
        PortProtocol.Http => "http",
        PortProtocol.Http2 => "http2",
        PortProtocol.Grpc => "grpc",
        _ => "tcp",
    };

    public bool IsHttp => Protocol is not PortProtocol.Tcp;

    internal static ImmutableArray<ServicePort> ReadAll(ConfigNode node)
    {
        var ports = new List<ServicePort>();
        foreach (var item in node.RequiredItems("declare at least one port (name, port, protocol)"))
        {
            item.IsMapping("name", "port", "protocol", "streaming");
            var name = item["name"].RequiredText() is not null
                ? item["name"].Matching(Names.PortName(), "an IANA service name (lowercase letters, digits, '-', at most 15)")
                : null;
            var number = item["port"].Exists ? item["port"].WholeNumber(1, 65535) : item["port"].Missing<int?>();
            var protocol = item["protocol"].Exists
                ? item["protocol"].OneOf(["http", "http2", "grpc", "tcp"])
                : item["protocol"].Missing<string>(" (a protocol the mesh can use: http, http2, grpc, tcp)");
            if (name is null || number is null || protocol is null)
            {
                continue;
            }

            if (ports.Any(p => p.Name == name))
            {
                item["name"].Error($"port name '{name}' is declared more than once; port names must be unique within a service");
            }

            if (ports.Any(p => p.Port == number))
            {
                item["port"].Error($"port {number} is declared more than once; each port needs its own number");
            }

            bool? streaming = item["streaming"].Exists ? item["streaming"].Bool(false) : null;
            if (streaming is not null && protocol == "tcp")
            {
                item["streaming"].Error("a tcp port has no requests, so no route timeout or retries to switch off; remove streaming (allowed on http, http2 and grpc ports)");
            }

            ports.Add(new ServicePort(name, number.Value, protocol switch
            {
                "http" => PortProtocol.Http,
                "http2" => PortProtocol.Http2,
                "grpc" => PortProtocol.Grpc,
                _ => PortProtocol.Tcp,
            })
            {
                Streaming = streaming,
            });
        }

        return [.. ports];
    }
}
