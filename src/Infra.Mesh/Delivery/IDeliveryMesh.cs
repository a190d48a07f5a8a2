using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Infra.Mesh.Delivery.Flagger;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Delivery;

/// <summary>Where progressive delivery differs between meshes: how Flagger routes, where it reads metrics, how the load tester joins the mesh.</summary>
public interface IDeliveryMesh
{
    /// <summary>Flagger's <c>meshProvider</c>: which router and metrics observer it uses.</summary>
    string Provider { get; }

    /// <summary>The Prometheus the analysis queries (Flagger's <c>metricsServer</c>).</summary>
    string MetricsServer { get; }

    /// <summary>The plan item of that Prometheus, which Flagger waits for.</summary>
    string MetricsSourceId { get; }

    /// <summary>Chart values of the Flagger release this mesh needs beyond provider and metrics server.</summary>
    JsonObject FlaggerValues(StackSettings settings);

    /// <summary>Labels and annotations of Flagger's namespace.</summary>
    MeshMetadata Namespace(StackSettings settings);

    /// <summary>Pod labels that put the load tester into the mesh (it calls the canary through it), where the namespace does not.</summary>
    ImmutableSortedDictionary<string, string> LoadTesterPodLabels(StackSettings settings);

    /// <summary>The Canary's <c>service</c>: the routed port and what Flagger puts on the routes it generates.</summary>
    CanaryService Service(ServiceSettings service, ServicePort port, StackSettings settings);

    /// <summary>The analysis' request success rate and duration checks, from this mesh's metrics.</summary>
    IReadOnlyList<CanaryMetric> Metrics(DeliverySettings delivery);

    /// <summary>Anything else this mesh needs once (metric templates, load tester policies).</summary>
    void Plan(PlanBuilder plan, bool loadTester);
}
