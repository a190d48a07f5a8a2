using Infra.Mesh.Analysis;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Analysis;

/// <summary>
/// INFRA145: a canary split runs in the caller's proxy, so a caller with <c>inject: false</c> reaches the callee's
/// versions by pod count. Reported at the caller's call, naming the callee's canary; an error in prod.
/// </summary>
public sealed class CanaryBypassTests : IDisposable
{
    private const string CallKey = "infra:services[legacy-batch].calls[0]";

    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("dev", "caller's sidecar")]
    [InlineData("dev-ambient", "waypoint")]
    [InlineData("dev-linkerd", "outbound proxy")]
    public void An_uninjected_caller_of_a_canary_is_warned_at_its_call_with_the_share_it_really_sends(string stack, string where)
    {
        AddUninjectedCaller();

        var analysis = _files.Analyze(stack);

        var warning = Assert.Single(analysis.Warnings, w => w.Rule == RuleCatalog.CanaryBypassed);
        Assert.Equal(CallKey, warning.Key);
        Assert.NotNull(warning.Line);
        var orders = analysis.Settings.Services.Single(s => s.Name == "orders");
        var canary = orders.Canary!;
        var pods = orders.Replicas + canary.Replicas;
        Assert.Contains($"'orders' runs a canary ({canary.Tag}, weight {canary.Weight}", warning.Message, StringComparison.Ordinal);
        Assert.Contains($"about {Math.Round(100.0 * canary.Replicas / pods):0}% to the canary instead of {canary.Weight}%", warning.Message, StringComparison.Ordinal);
        Assert.Contains(canary.HeaderName, warning.Message, StringComparison.Ordinal);
        Assert.Contains(where, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Injected_callers_of_a_canary_are_not_reported() =>
        Assert.DoesNotContain(_files.Analyze("dev").Warnings, w => w.Rule == RuleCatalog.CanaryBypassed);

    [Fact]
    public void A_canary_at_weight_zero_still_gets_the_uninjected_callers_requests_by_pod_count()
    {
        AddUninjectedCaller();
        _files.Replace("Pulumi.dev.yaml", "weight: 10", "weight: 0");

        var warning = Assert.Single(_files.Analyze("dev").Warnings, w => w.Rule == RuleCatalog.CanaryBypassed);

        Assert.Contains("instead of 0%", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("about 0%", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_prod_it_is_an_error_at_the_call()
    {
        AddUninjectedCaller();
        _files.Replace("Pulumi.prod.yaml", "    orders:\n      replicas: 3\n", "    orders:\n      replicas: 3\n      canary: {tag: 2.8.0-rc.1, weight: 5, replicas: 1}\n");

        var errors = Assert.Throws<SettingsException>(() => _files.Analyze("prod")).Errors;

        Assert.Contains(errors, e => e.Key == CallKey && e.Message.StartsWith("INFRA145:", StringComparison.Ordinal));
    }

    private void AddUninjectedCaller() => _files.Replace("Pulumi.yaml", "    value:\n", """
            value:
              - name: legacy-batch
                namespace: batch
                image: ghcr.io/acme/legacy-batch:3.1.0
                inject: false
                ports: [{name: http, port: 8080, protocol: http}]
                calls:
                  - {service: orders, methods: [GET], paths: [/orders/*], unauthenticated: true}

        """);
}
