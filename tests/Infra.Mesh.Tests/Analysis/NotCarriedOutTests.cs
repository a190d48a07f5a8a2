using Infra.Mesh.Analysis;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Analysis;

/// <summary>
/// INFRA199: a public host (no ingress on Linkerd) or external hosts (no egress restriction on Linkerd) is a warning on
/// a dev stack and an error on a prod stack, so switching prod's mesh cannot take its API offline or open its egress.
/// Istio-only tuning (INFRA198) stays a warning in prod.
/// </summary>
public sealed class NotCarriedOutTests : IDisposable
{
    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Switching_prod_to_linkerd_is_an_error_at_every_public_host_and_external_host_list()
    {
        // The tester's repro: the Istio prod stack with only its mesh changed.
        _files.Replace("Pulumi.prod.yaml", "infra:mesh: istio", "infra:mesh: linkerd");

        var error = Assert.Throws<SettingsException>(() => _files.Analyze("prod"));

        var findings = error.Errors.Where(e => e.Message.StartsWith("INFRA199:", StringComparison.Ordinal)).ToList();
        Assert.Contains(findings, e => e.Key == "infra:services[api-gateway].public" && e.Line is not null && e.Message.Contains("api.acme.example", StringComparison.Ordinal));
        Assert.Contains(findings, e => e.Key == "infra:services[orders].externalHosts" && e.Line is not null);
        Assert.Contains(findings, e => e.Key == "infra:services[payments].externalHosts" && e.Line is not null);
    }

    [Fact]
    public void The_same_settings_are_warnings_on_a_dev_stack()
    {
        var analysis = _files.Analyze("dev-linkerd");

        var warnings = analysis.Warnings.Where(w => w.Rule == RuleCatalog.NotCarriedOut).ToList();
        Assert.All(warnings, w => Assert.Equal(Severity.Warning, w.Severity));
        Assert.Contains(warnings, w => w.Key == "infra:services[api-gateway].public");
        Assert.Contains(warnings, w => w.Key == "infra:services[orders].externalHosts");
    }

    [Fact]
    public void Istio_only_tuning_stays_a_warning_in_prod()
    {
        _files.Replace("Pulumi.prod-linkerd.yaml", "    payments:\n", "    payments:\n      traffic:\n        outlierDetection: {consecutive5xxErrors: 7}\n");

        var warning = Assert.Single(_files.Analyze("prod-linkerd").Warnings, w => w.Rule == RuleCatalog.IstioOnlySetting);

        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Equal("infra:serviceOverrides.payments.traffic.outlierDetection", warning.Key);
    }
}
