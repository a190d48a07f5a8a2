using Infra.Mesh.Analysis;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

/// <summary>
/// Istio scrapes application metrics with a plain HTTP GET (the sidecar agent's metrics merging, or Prometheus itself
/// for ambient and uninjected pods): a metrics port that speaks no HTTP is reported as INFRA190, an HTTP one is not.
/// </summary>
public sealed class IstioMetricsScrapeTests : IDisposable
{
    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("tcp", "dev")]
    [InlineData("grpc", "dev")]
    [InlineData("tcp", "prod")]
    public void A_metrics_port_without_http_is_reported_at_metrics_port(string protocol, string stack)
    {
        AddService($"[{{name: api, port: 8300, protocol: http}}, {{name: wire, port: 7311, protocol: {protocol}}}]", "wire");

        var analysis = _files.Analyze(stack);

        var warning = Assert.Single(analysis.Warnings, w => w.Rule == RuleCatalog.MetricsNotScraped);
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Equal("infra:services[ledgerline].metrics.port", warning.Key);
        Assert.Equal("Pulumi.yaml", Path.GetFileName(warning.File));
        Assert.NotNull(warning.Line);
        Assert.Contains("7311", warning.Message, StringComparison.Ordinal);
        Assert.Contains(protocol, warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("http2")]
    public void A_metrics_port_with_http_is_not_reported(string protocol)
    {
        AddService($"[{{name: api, port: 8300, protocol: tcp}}, {{name: wire, port: 7311, protocol: {protocol}}}]", "wire");

        Assert.DoesNotContain(_files.Analyze("dev").Warnings, w => w.Rule == RuleCatalog.MetricsNotScraped);
    }

    private void AddService(string ports, string metricsPort) =>
        _files.Write("Pulumi.yaml", _files.Read("Pulumi.yaml").TrimEnd() + $$"""


              - name: ledgerline
                namespace: accounts
                image: ghcr.io/acme/ledgerline:2.1.0
                ports: {{ports}}
                metrics: {port: {{metricsPort}}}

        """);
}
