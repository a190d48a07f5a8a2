using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Delivery.Flagger;
using Infra.Mesh.Istio;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Delivery;

/// <summary>
/// Flagger's <c>istio</c> provider: for each Canary it generates the VirtualService <c>&lt;service&gt;</c> (hosts: the
/// Service plus <c>service.hosts</c>, gateways: <c>mesh</c> or <c>service.gateways</c>; one HTTP route with the canary's
/// timeout and retries, weighted between the hosts <c>&lt;service&gt;-primary</c> and <c>&lt;service&gt;-canary</c>) and the
/// DestinationRules <c>&lt;service&gt;-primary</c> and <c>&lt;service&gt;-canary</c> with <c>service.trafficPolicy</c>
/// (fluxcd/flagger v1.44.0 pkg/router/istio.go Reconcile, reconcileVirtualService, reconcileDestinationRule). It reads
/// <c>istio_requests_total</c> and <c>istio_request_duration_milliseconds</c> as the destination's proxy reports them
/// (pkg/metrics/observers/istio.go), from the Prometheus addon.
/// </summary>
/// <remarks>
/// Flagger runs outside the mesh (its namespace has no injection label), so it reaches the Kubernetes API and
/// Prometheus directly. The load tester joins the mesh through its pod label <c>istio.io/rev</c> (istiod's
/// <c>rev.object.sidecar-injector</c> webhook injects such pods in namespaces without the label), so its calls to the
/// canary carry its own identity; its webhook port accepts Flagger's plain-text calls.
/// </remarks>
public sealed class IstioDelivery : IDeliveryMesh
{
    public string Provider => "istio";

    public string MetricsServer => IstioObservabilityPlanner.PrometheusUrl;

    public string MetricsSourceId => HelmReleaseItem.IdOf(IstioSettings.SystemNamespace, IstioObservabilityPlanner.Prometheus.Release);

    public JsonObject FlaggerValues(StackSettings settings) => [];

    /// <summary>No injection label: Flagger itself stays outside the mesh.</summary>
    public MeshMetadata Namespace(StackSettings settings) => MeshMetadata.Empty;

    public ImmutableSortedDictionary<string, string> LoadTesterPodLabels(StackSettings settings) =>
        ImmutableSortedDictionary<string, string>.Empty
            .Add(IstioInjection.RevisionLabel, settings.Istio.Tag)
            .Add(IstioInjection.InjectLabel, "true");

    public CanaryService Service(ServiceSettings service, ServicePort port, StackSettings settings)
    {
        var exposed = service.Public;
        return new CanaryService(
            port.Port,
            port.Name,
            port.AppProtocol,
            PortDiscovery: service.Ports.Length > 1,
            // A streaming port's route gets neither (see IstioTrafficPlanner.HttpRoutes); Flagger copies both into its route.
            Timeout: port.LongLived ? null : service.Traffic.Timeout,
            Retries: port.LongLived ? HttpRetry.None : IstioTrafficPlanner.Retry(service.Traffic.Retries),
            // A public service's route also binds to its ingress Gateway, so public traffic moves with the canary's weight.
            Hosts: exposed is null ? null : [exposed.Host],
            Gateways: exposed is null ? null : ["mesh", $"{settings.Ingress.Namespace}/{service.Name}"],
            TrafficPolicy: CanaryTrafficPolicy(service));
    }

    /// <summary>
    /// The service's traffic policy as Flagger's CRD can carry it: its <c>connectionPool</c> has no <c>tcp</c>, so the API
    /// server would prune <c>maxConnections</c> (settings refuse setting it for a progressive service on Istio).
    /// </summary>
    private static TrafficPolicy CanaryTrafficPolicy(ServiceSettings service)
    {
        var policy = IstioTrafficPlanner.TrafficPolicy(service, ambient: false);
        return policy with { ConnectionPool = policy.ConnectionPool with { Tcp = null } };
    }

    /// <summary>Flagger's built-in Istio checks: non-5xx share in percent, and P99 duration in milliseconds.</summary>
    public IReadOnlyList<CanaryMetric> Metrics(DeliverySettings delivery) =>
    [
        new("request-success-rate", delivery.Interval, new ThresholdRange(Min: delivery.MinSuccessRate)),
        new("request-duration", delivery.Interval, new ThresholdRange(Max: delivery.MaxRequestDurationMs)),
    ];

    /// <summary>
    /// Under STRICT mTLS the load tester's sidecar would refuse Flagger, which has no sidecar; only its webhook port
    /// accepts plain text.
    /// </summary>
    public void Plan(PlanBuilder plan, bool loadTester)
    {
        if (!loadTester)
        {
            return;
        }

        plan.Add(StageKind.Policies, new PeerAuthentication(
            new V1ObjectMeta { Name = FlaggerNames.LoadTester, NamespaceProperty = FlaggerNames.Namespace, Labels = Labels.Managed() },
            new PeerAuthenticationSpec(
                null,
                new PolicySelector(FlaggerNames.LoadTesterPods),
                new Dictionary<string, MutualTls> { [FlaggerNames.LoadTesterPort.ToString(CultureInfo.InvariantCulture)] = new("PERMISSIVE") })));
    }
}
