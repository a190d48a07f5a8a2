using Infra.Mesh.Analysis;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Analysis;

/// <summary>INFRA144's advice must be one the user can follow for the pod count in question.</summary>
public sealed class EjectionAdviceTests : IDisposable
{
    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void With_one_pod_the_only_advice_is_more_pods()
    {
        AddService(replicas: 1, maxEjectionPercent: 10);

        var warning = Warning();

        Assert.Contains("run at least 2 stable pods", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("lower maxEjectionPercent", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 50)]
    [InlineData(3, 66)]
    [InlineData(10, 90)]
    public void With_more_pods_the_advised_percentage_keeps_one_pod_and_is_not_reported_again(int replicas, int advised)
    {
        AddService(replicas, maxEjectionPercent: 100);

        Assert.Contains($"lower maxEjectionPercent to at most {advised} ", Warning().Message, StringComparison.Ordinal);

        // Following the advice silences the rule: the advised percentage is allowed and keeps at least one pod.
        _files.Replace("Pulumi.yaml", "maxEjectionPercent: 100", $"maxEjectionPercent: {advised}");
        Assert.DoesNotContain(_files.Analyze("dev").Warnings, w => w.Rule == RuleCatalog.EjectEverything && w.Key.Contains("ledger", StringComparison.Ordinal));
    }

    private Finding Warning() =>
        Assert.Single(_files.Analyze("dev").Warnings, w => w.Rule == RuleCatalog.EjectEverything && w.Key.StartsWith("infra:services[ledger]", StringComparison.Ordinal));

    private void AddService(int replicas, int maxEjectionPercent) => _files.Replace("Pulumi.yaml", "    value:\n", $"""
            value:
              - name: ledger
                namespace: shop
                image: ghcr.io/acme/ledger:1.0.0
                replicas: {replicas}
                ports: [{"{"}name: web, port: 8000, protocol: http{"}"}]
                traffic:
                  outlierDetection:
                    maxEjectionPercent: {maxEjectionPercent}

        """);
}
