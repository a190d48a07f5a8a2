using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Delivery.Flagger;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Delivery;

/// <summary>
/// Progressive delivery (<c>infra:delivery: progressive</c>): Flagger from its official chart, the load tester for
/// acceptance and load webhooks, and a Canary per progressive service. Flagger then owns the service's routing objects
/// (Services, routes, the primary Deployment); the other planners leave them out and aim policies at Flagger's names
/// (<see cref="FlaggerNames"/>).
/// </summary>
public sealed class DeliveryPlanner(IDeliveryMesh mesh) : IPlanner
{
    public const string FlaggerRelease = "flagger";
    public const string ChartRepository = "https://flagger.app";
    public const string FlaggerChartVersion = "1.44.0";
    public const string LoadTesterChartVersion = "0.38.0";

    public const string AcceptanceWebhook = "acceptance-test";
    public const string LoadWebhook = "load-test";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        if (settings.Delivery != DeliveryMode.Progressive)
        {
            return;
        }

        var progressive = settings.Services.Where(settings.IsProgressive).ToList();
        // With the CRDs like the mesh's own namespaces: both releases go into it, and Helm does not create it.
        var meshMetadata = mesh.Namespace(settings);
        var labels = Labels.Managed();
        foreach (var (key, value) in meshMetadata.Labels)
        {
            labels[key] = value;
        }

        var ns = plan.Add(StageKind.Crds, new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = FlaggerNames.Namespace,
                Labels = labels,
                Annotations = meshMetadata.Annotations.IsEmpty ? null : meshMetadata.Annotations.ToDictionary(),
            },
        }.WithApiVersionAndKind());
        plan.Add(StageKind.GatewaysAndAddons, Release(FlaggerRelease, "flagger", FlaggerChartVersion, FlaggerValues(settings)) with
        {
            DependsOn = [ns.Id, mesh.MetricsSourceId],
        });

        var loadTester = progressive.Any(s => s.Delivery.AcceptanceTest is not null || s.Delivery.LoadTest is not null);
        if (loadTester)
        {
            plan.Add(StageKind.GatewaysAndAddons, Release(FlaggerNames.LoadTester, "loadtester", LoadTesterChartVersion, LoadTesterValues(settings)) with
            {
                DependsOn = [ns.Id],
            });
        }

        mesh.Plan(plan, loadTester);
        foreach (var service in progressive)
        {
            // Beside its target Deployment: Flagger retries until the target exists, but then the first analysis has all it needs.
            plan.Add(StageKind.Workloads, Canary(service, settings));
        }
    }

    private static HelmReleaseItem Release(string name, string chart, string version, JsonObject values) =>
        new(name, chart, ChartRepository, version, FlaggerNames.Namespace, values, []) { CreateNamespace = false };

    private JsonObject FlaggerValues(StackSettings settings)
    {
        var values = mesh.FlaggerValues(settings);
        values["meshProvider"] = mesh.Provider;
        values["metricsServer"] = mesh.MetricsServer;
        if (settings.IsProduction)
        {
            // Two replicas, one of them leading: a restarted Flagger does not stall rollouts that are under way.
            values["leaderElection"] = new JsonObject { ["enabled"] = true, ["replicaCount"] = 2 };
            values["podDisruptionBudget"] = new JsonObject { ["enabled"] = true };
        }

        return values;
    }

    private JsonObject LoadTesterValues(StackSettings settings)
    {
        var values = new JsonObject
        {
            // A ServiceAccount of its own (the Role has no rules): policies authorize the load tester by this identity.
            ["rbac"] = new JsonObject { ["create"] = true },
        };
        var podLabels = mesh.LoadTesterPodLabels(settings);
        if (!podLabels.IsEmpty)
        {
            values["podLabels"] = new JsonObject(podLabels.Select(e => KeyValuePair.Create<string, JsonNode?>(e.Key, e.Value)));
        }

        return values;
    }

    /// <summary>The port Flagger routes and analyses: the service's first HTTP, HTTP/2 or gRPC port (validation guarantees one).</summary>
    public static ServicePort RoutedPort(ServiceSettings service) => service.HttpPort;

    private Canary Canary(ServiceSettings service, StackSettings settings)
    {
        var delivery = service.Delivery;
        var port = RoutedPort(service);
        var weighted = delivery.Header is null;
        return new Canary(
            Labels.Meta(service, service.Name),
            new CanarySpec(
                new ObjectReference("apps/v1", "Deployment", service.Name),
                service.Autoscaling.Enabled ? new ObjectReference("autoscaling/v2", "HorizontalPodAutoscaler", service.Name) : null,
                // Flagger rolls back a canary (or primary) rollout that is not ready in time; a JVM may need all of its
                // startup allowance on each of several pods, which come up a quarter at a time.
                Math.Max(600, service.Health.StartupSeconds * 3),
                mesh.Service(service, port, settings),
                new CanaryAnalysis(
                    delivery.Interval,
                    delivery.Threshold,
                    weighted ? delivery.MaxWeight : null,
                    weighted ? delivery.StepWeight : null,
                    weighted ? null : delivery.Iterations,
                    delivery.Header is { } header ? [new RequestMatch(new Dictionary<string, StringMatch> { [header.Name] = new(header.Value, null) })] : null,
                    mesh.Metrics(delivery),
                    Webhooks(service, port) is { Count: > 0 } hooks ? hooks : null)));
    }

    /// <summary>
    /// The load tester's webhooks, aimed at the canary's own Service so they reach the new version whatever its weight:
    /// before any traffic moves, the acceptance path must answer 2xx (<c>type: bash</c> makes Flagger wait for the result
    /// and fail the check when it fails); during each interval, <c>hey</c> sends load so a canary without callers still has
    /// metrics to judge (and a JVM warms up before its weight grows).
    /// </summary>
    private static List<CanaryWebhook> Webhooks(ServiceSettings service, ServicePort port)
    {
        var canaryUrl = $"http://{FlaggerNames.Canary(service)}.{service.Namespace}:{port.Port.ToString(CultureInfo.InvariantCulture)}";
        var hooks = new List<CanaryWebhook>();
        if (service.Delivery.AcceptanceTest is { } acceptance)
        {
            hooks.Add(new CanaryWebhook(AcceptanceWebhook, "pre-rollout", FlaggerNames.LoadTesterUrl, "60s", new Dictionary<string, string>
            {
                ["type"] = "bash",
                ["cmd"] = $"curl -sSf --max-time 30 -o /dev/null {canaryUrl}{acceptance.Path}",
            }));
        }

        if (service.Delivery.LoadTest is { } load)
        {
            var http2 = port.Protocol == PortProtocol.Http2 ? " -h2" : "";
            // hey's -q limits each of the -c workers, so the total rate is split between them.
            var perWorker = (load.RequestsPerSecond + load.Concurrency - 1) / load.Concurrency;
            hooks.Add(new CanaryWebhook(LoadWebhook, "rollout", FlaggerNames.LoadTesterUrl, "15s", new Dictionary<string, string>
            {
                ["cmd"] = $"hey -z {service.Delivery.Interval} -q {perWorker.ToString(CultureInfo.InvariantCulture)} " +
                    $"-c {load.Concurrency.ToString(CultureInfo.InvariantCulture)}{http2} {canaryUrl}{load.Path}",
            }));
        }

        return hooks;
    }
}
