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
            item.IsMapping("name", "port", "protocol");
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

            ports.Add(new ServicePort(name, number.Value, protocol switch
            {
                "http" => PortProtocol.Http,
                "http2" => PortProtocol.Http2,
                "grpc" => PortProtocol.Grpc,
                _ => PortProtocol.Tcp,
            }));
        }

        return [.. ports];
    }
}
