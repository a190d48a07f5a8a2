using Infra.Mesh.Istio;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

public class IstioObservabilityTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Mesh_telemetry_follows_the_stacks_observability_settings(string stack)
    {
        var plan = Stacks.Plan(stack);
        var observability = plan.Settings.Observability;
        var telemetry = Stacks.Objects(plan).OfKind("Telemetry").Single();
        Assert.Equal(IstioNames.RootNamespace, telemetry.Namespace());

        var spec = telemetry.Spec();
        Assert.Equal(["prometheus"], spec["metrics"].Items().Single()["providers"].Items().Select(p => (string)p["name"]!));
        var tracing = spec["tracing"].Items().Single();
        Assert.Equal(observability.TraceSampling, (double)tracing["randomSamplingPercentage"]!);
        Assert.Equal(observability.Jaeger, tracing["providers"] is not null);
        Assert.Equal(!observability.AccessLogs, (bool)spec["accessLogging"].Items().Single()["disabled"]!);
    }

    [Fact]
    public void Tracing_samples_everything_in_dev_and_little_in_prod()
    {
        double Sampling(string stack) =>
            (double)Stacks.Objects(Stacks.Plan(stack)).OfKind("Telemetry").Single().Spec()["tracing"].Items().Single()["randomSamplingPercentage"]!;
        Assert.Equal(100, Sampling("dev"));
        Assert.True(Sampling("prod") <= 1);
    }

    [Theory]
    [InlineData("dev", new[] { "prometheus", "grafana", "kiali", "jaeger" })]
    [InlineData("prod", new[] { "prometheus", "grafana", "kiali" })]
    public void Addons_are_installed_as_the_stack_asks(string stack, string[] addons)
    {
        var plan = Stacks.Plan(stack);
        var installed = plan.Stage(StageKind.GatewaysAndAddons).Items.OfType<HelmReleaseItem>()
            .Where(r => r.Namespace == IstioSettings.SystemNamespace)
            .Select(r => r.ReleaseName);
        Assert.Equal(addons, installed);
    }

    [Fact]
    public void Jaeger_receives_traces_through_a_mesh_extension_provider()
    {
        var dev = Stacks.Plan("dev");
        var provider = dev.Release("istiod-1-30-3").Values["meshConfig"]!["extensionProviders"].Items().Single();
        Assert.Equal(IstioObservabilityPlanner.TracingProvider, (string)provider["name"]!);
        Assert.Equal(IstioObservabilityPlanner.JaegerCollectorHost, (string)provider["opentelemetry"]!["service"]!);
        Assert.Null(Stacks.Plan("prod").Release("istiod-1-30-3").Values["meshConfig"]!["extensionProviders"]);
    }

    [Fact]
    public void The_kiali_signing_key_comes_from_a_generated_slot_and_never_sits_in_the_values()
    {
        var plan = Stacks.Plan("prod");
        var kiali = plan.Release(IstioObservabilityPlanner.Kiali.Release);
        var secret = Assert.Single(kiali.SecretValues);
        Assert.Equal("login_token.signing_key", secret.Path);
        var slot = plan.Secrets.OfType<RandomSecretSlot>().Single(s => s.Id == ((GeneratedSecret)secret.Source).SlotId);
        Assert.True(slot.Length is 16 or 24 or 32, "Kiali needs an AES key length");
        Assert.Null(kiali.Values["login_token"]);
        Assert.Equal(secret.Source.Placeholder, (string)ObjectJson.Values(kiali, s => s.Placeholder)["login_token"]!["signing_key"]!);
    }

    [Fact]
    public void Grafana_reads_its_admin_password_from_a_secret_filled_by_the_generated_slot()
    {
        var plan = Stacks.Plan("dev");
        var grafana = plan.Release(IstioObservabilityPlanner.Grafana.Release);
        Assert.Empty(grafana.SecretValues);
        Assert.Null(grafana.Values["adminPassword"]);
        var secretName = (string)grafana.Values["admin"]!["existingSecret"]!;
        var passwordKey = (string)grafana.Values["admin"]!["passwordKey"]!;
        // With the user name set in env, the chart reads only the password from the Secret.
        Assert.Equal("admin", (string?)grafana.Values["env"]!["GF_SECURITY_ADMIN_USER"]);

        var secret = plan.Stage(StageKind.GatewaysAndAddons).Items.OfType<SecretItem>().Single(s => s.Name == secretName);
        Assert.Equal(grafana.Namespace, secret.Namespace);
        var entry = Assert.Single(secret.Entries);
        Assert.Equal(passwordKey, entry.Key);
        var slot = Assert.Single(plan.Secrets.OfType<RandomSecretSlot>(), s => s.Id == ((GeneratedSecret)entry.Source).SlotId);
        Assert.Equal(IstioObservabilityPlanner.GrafanaAdminPasswordSlot, slot.Id);
        Assert.Contains(secret.Id, grafana.DependsOn);
    }
}
