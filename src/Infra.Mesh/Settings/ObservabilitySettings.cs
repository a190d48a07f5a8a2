namespace Infra.Mesh.Settings;

public sealed record ObservabilitySettings(
    double TraceSampling,
    bool AccessLogs,
    bool Prometheus,
    bool Grafana,
    bool Kiali,
    bool Jaeger)
{
    internal static ObservabilitySettings Read(ConfigNode node, bool production)
    {
        node.IsMapping("traceSampling", "accessLogs", "prometheus", "grafana", "kiali", "jaeger");
        return new ObservabilitySettings(
            node["traceSampling"].Number(production ? 1.0 : 100.0, 0, 100),
            node["accessLogs"].Bool(true),
            node["prometheus"].Bool(true),
            node["grafana"].Bool(!production),
            node["kiali"].Bool(true),
            node["jaeger"].Bool(!production));
    }
}
