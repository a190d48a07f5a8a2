using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Workloads;

public class WorkloadSettingsTests
{
    private static SettingsError SingleError(StackFiles files, string stack) =>
        Assert.Single(Assert.Throws<SettingsException>(() => Workload.Settings(files, stack)).Errors);

    [Fact]
    public void Shutdown_defaults_leave_the_app_time_to_stop_after_the_preStop_pause()
    {
        var shutdown = Stacks.Settings("dev").Service("orders").Shutdown;

        Assert.Equal(ShutdownSettings.Default, shutdown);
        Assert.True(shutdown.TerminationGracePeriodSeconds > shutdown.PreStopSeconds);
    }

    [Fact]
    public void A_grace_period_that_ends_within_the_preStop_pause_is_rejected()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "    payments:\n      replicas: 3\n",
            "    payments:\n      replicas: 3\n      shutdown:\n        preStopSeconds: 30\n        terminationGracePeriodSeconds: 30\n");

        var error = SingleError(files, "prod");

        Assert.Equal("Pulumi.prod.yaml", Path.GetFileName(error.File));
        Assert.Equal("infra:serviceOverrides.payments.shutdown.terminationGracePeriodSeconds", error.Key);
        Assert.Contains("preStopSeconds (30)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("JAVA_TOOL_OPTIONS", "jvm.options")]
    [InlineData("CONFIG_PATH", "reserved")]
    public void Config_env_may_not_set_what_the_platform_sets(string variable, string hint)
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "            LOG_FORMAT: json\n", $"            LOG_FORMAT: json\n            {variable}: x\n");

        var error = SingleError(files, "dev");

        Assert.Equal($"infra:services[api-gateway].config.env.{variable}", error.Key);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variable_is_either_secret_or_plain()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "          reload: restart\n          edn:\n            db:",
            "          reload: restart\n          env:\n            DB_PASSWORD: hunter2\n          edn:\n            db:");

        var error = SingleError(files, "dev");

        Assert.Equal("infra:services[orders].secrets.DB_PASSWORD", error.Key);
        Assert.Contains("config.env", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Rendering_is_deterministic(string stack)
    {
        var first = PlanRenderer.Render(Stacks.Plan(stack));
        var second = PlanRenderer.Render(Stacks.Plan(stack));

        Assert.Equal(first, second);
    }
}
