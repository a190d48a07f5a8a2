using Infra.Mesh.Analysis;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Analysis;

/// <summary>
/// INFRA111 over the objects controllers create from planned ones (Istio's gateway controller for waypoints, Flagger for
/// Canaries): a catalog service named like one is refused at its name, because Pulumi and the controller would fight over
/// the object and the service's pods would take the controller's ServiceAccount.
/// </summary>
public sealed class ControllerObjectTests : IDisposable
{
    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("shop")]       // has a waypoint on dev-ambient (catalog's canary, orders' method rules)
    [InlineData("storefront")] // has none yet: reserved, since one appears as soon as a service there needs L7
    public void A_service_named_waypoint_on_ambient_is_an_error_at_its_name(string ns)
    {
        AddService("waypoint", ns);

        var error = Assert.Single(Errors("dev-ambient"));

        Assert.Equal("infra:services[waypoint].name", error.Key);
        Assert.StartsWith("INFRA111:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"ServiceAccount {ns}/waypoint", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Deployment {ns}/waypoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("identity", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Line);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    public void Without_ambient_no_waypoint_is_deployed_and_the_name_is_free(string stack)
    {
        AddService("waypoint", "shop");

        var analysis = _files.Analyze(stack);

        Assert.Contains(analysis.Plan.Items.OfType<ManifestItem>(), i => i.Id == "Deployment/shop/waypoint");
    }

    [Fact]
    public void Every_waypoint_the_plan_asks_for_is_deployed_under_the_gateways_own_name()
    {
        var plan = _files.Analyze("dev-ambient").Plan;

        var deployed = ControllerObjects.Of(plan).Where(o => o.Source.StartsWith("Gateway ", StringComparison.Ordinal)).Select(o => o.Id).ToHashSet();

        var gateways = plan.Items.OfType<ManifestItem>().Where(i => i.Object.Kind == "Gateway" && i.Object.ApiVersion.StartsWith("gateway.networking.k8s.io/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(gateways);
        foreach (var gateway in gateways)
        {
            var ns = gateway.Object.Metadata.NamespaceProperty;
            Assert.Contains($"ServiceAccount/{ns}/waypoint", deployed);
            Assert.Contains($"Deployment/{ns}/waypoint", deployed);
            Assert.Contains($"Service/{ns}/waypoint", deployed);
        }
    }

    [Theory]
    [InlineData("istio-waypoint", "edge")]
    [InlineData("istio-east-west", "edge")]
    [InlineData("istio", "edge-istio")]
    public void Istio_names_a_gateways_objects_by_its_class(string gatewayClass, string expected)
    {
        var made = ControllerObjects.OfGateway("web", "edge", gatewayClass).Select(o => o.Id).Order(StringComparer.Ordinal).ToList();

        Assert.Equal([$"Deployment/web/{expected}", $"Service/web/{expected}", $"ServiceAccount/web/{expected}"], made);
    }

    [Fact]
    public void A_gateway_of_another_controllers_class_deploys_nothing_Istio_knows_of() =>
        Assert.Empty(ControllerObjects.OfGateway("web", "edge", "nginx"));

    [Theory]
    [InlineData("dev-progressive", "DestinationRule shop/orders-primary")]
    [InlineData("dev-linkerd-progressive", "Service shop/orders-primary")]
    public void A_service_named_like_flaggers_primary_is_an_error_at_its_name(string stack, string mentioned)
    {
        AddService("orders-primary", "shop");

        var error = Assert.Single(Errors(stack), e => e.Key == "infra:services[orders-primary].name");

        Assert.StartsWith("INFRA111:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Deployment shop/orders-primary", error.Message, StringComparison.Ordinal);
        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
        Assert.Contains("Flagger", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_name_in_another_namespace_does_not_collide()
    {
        AddService("orders-primary", "archive");

        Assert.Contains(_files.Analyze("dev-progressive").Plan.Items.OfType<ManifestItem>(), i => i.Id == "Deployment/archive/orders-primary");
    }

    [Fact]
    public void Flagger_copies_the_config_a_target_reads_at_start_but_not_a_live_reloaded_one()
    {
        var plan = _files.Analyze("dev-progressive").Plan;
        var made = ControllerObjects.Of(plan).Select(o => o.Id).ToHashSet();

        Assert.Contains("Deployment/shop/orders-primary", made);
        Assert.Contains("Service/shop/orders-canary", made);
        // orders reloads on restart: Flagger tracks its ConfigMap and runs the primary on a copy; api-gateway reloads live,
        // so its ConfigMap is marked untracked and the primary mounts the original.
        Assert.Equal(ConfigReload.Restart, Settings(plan, "orders").Config.Reload);
        Assert.Contains("ConfigMap/shop/orders-config-primary", made);
        Assert.Contains("Secret/shop/orders-secrets-primary", made);
        Assert.Equal(ConfigReload.Live, Settings(plan, "api-gateway").Config.Reload);
        Assert.Contains("Deployment/storefront/api-gateway-primary", made);
        Assert.DoesNotContain("ConfigMap/storefront/api-gateway-config-primary", made);
        // Every derived object is unique and none is planned: a valid stack collides with nothing.
        var planned = plan.Items.OfType<ManifestItem>().Select(i => i.Id).ToHashSet();
        Assert.DoesNotContain(made, planned.Contains);
    }

    [Theory]
    [MemberData(nameof(Stacks.Everywhere), MemberType = typeof(Stacks))]
    public void No_valid_stack_plans_an_object_a_controller_creates(string project, string stack)
    {
        var plan = Plan(project, stack);
        var planned = plan.Items.OfType<ManifestItem>().Select(i => i.Id).ToHashSet();

        var made = ControllerObjects.Of(plan).Select(o => o.Id).ToList();

        Assert.DoesNotContain(made, planned.Contains);
        Assert.Equal(made.Count, made.Distinct().Count());
    }

    private static MeshPlan Plan(string project, string stack) =>
        StackAnalyzer.Load(ProjectConfigFiles.Load(Path.Combine(Stacks.RepositoryDirectory, project), stack)).Plan;

    private static ServiceSettings Settings(MeshPlan plan, string name) => plan.Settings.Services.Single(s => s.Name == name);

    private IReadOnlyList<SettingsError> Errors(string stack) =>
        Assert.Throws<SettingsException>(() => _files.Analyze(stack)).Errors;

    private void AddService(string name, string ns) => _files.Replace("Pulumi.yaml", "    value:\n", $"""
            value:
              - name: {name}
                namespace: {ns}
                image: ghcr.io/acme/{name}:1.0.0
                replicas: 2
                ports: [{"{"}name: web, port: 8000, protocol: http{"}"}]

        """);
}
