using Infra.Mesh.Planning;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Workloads;

/// <summary>
/// What Flagger (1.44.0) names and labels for a service under progressive delivery, so that routing, policies and
/// verification planned here reach the objects and pods Flagger creates. Flagger picks the first of its selector labels
/// (<c>app</c>, <c>name</c>, <c>app.kubernetes.io/name</c>) that the target Deployment's selector has, here <c>app</c>,
/// and gives the primary pods that label with <c>-primary</c> appended; every other pod label is copied unchanged
/// (fluxcd/flagger v1.44.0 pkg/canary/deployment_controller.go getSelectorLabel, createPrimaryDeployment;
/// pkg/canary/util.go makePrimaryLabels; cmd/flagger/main.go <c>-selector-labels</c> default).
/// </summary>
public static class FlaggerNames
{
    /// <summary>Where Flagger and its load tester run.</summary>
    public const string Namespace = "flagger-system";

    /// <summary>
    /// The load tester's release; the chart names its Deployment, Service and (with <c>rbac.create</c>) ServiceAccount after
    /// it, and labels its pods <c>app: loadtester</c> (charts/loadtester/templates/_helpers.tpl, deployment.yaml, rbac.yaml).
    /// </summary>
    public const string LoadTester = "flagger-loadtester";

    /// <summary>The port the load tester's container listens on (the chart's Service maps port 80 to it).</summary>
    public const int LoadTesterPort = 8080;

    /// <summary>The load tester pods' labels.</summary>
    public static IReadOnlyDictionary<string, string> LoadTesterPods { get; } = new Dictionary<string, string> { [Labels.App] = "loadtester" };

    /// <summary>The URL Flagger calls the load tester's webhooks on.</summary>
    public const string LoadTesterUrl = "http://" + LoadTester + "." + Namespace + "/";

    public const string PrimarySuffix = "-primary";
    public const string CanarySuffix = "-canary";


    /// <summary>The Deployment Flagger copies the target into and the Service selecting its pods (<c>&lt;service&gt;-primary</c>).</summary>
    public static string Primary(ServiceSettings service) => service.Name + PrimarySuffix;

    /// <summary>The Service Flagger creates for the target's pods, the canary during an analysis (<c>&lt;service&gt;-canary</c>).</summary>
    public static string Canary(ServiceSettings service) => service.Name + CanarySuffix;

    /// <summary>
    /// Selects every pod of a progressive service, primary and canary: <c>app.kubernetes.io/name</c>, which Flagger copies
    /// unchanged, where <c>app</c> differs (<c>&lt;service&gt;</c> on canary pods, <c>&lt;service&gt;-primary</c> on primary pods).
    /// </summary>
    public static Dictionary<string, string> AllPods(ServiceSettings service) => new(StringComparer.Ordinal) { [Labels.Name] = service.Name };

    /// <summary>The pods of the primary Deployment (<c>app: &lt;service&gt;-primary</c>).</summary>
    public static Dictionary<string, string> PrimaryPods(ServiceSettings service) => new(StringComparer.Ordinal) { [Labels.App] = Primary(service) };

    /// <summary>
    /// The GET paths the load tester calls on the service's canary (acceptance test, load test); empty when it calls
    /// nothing. Policies must let the load tester's identity (<see cref="LoadTester"/> in <see cref="Namespace"/>) through
    /// on these, or a default-deny mesh answers every webhook with 403.
    /// </summary>
    public static IReadOnlyList<string> LoadTesterPaths(ServiceSettings service, StackSettings settings) =>
        settings.IsProgressive(service)
            ? [.. new[] { service.Delivery.AcceptanceTest?.Path, service.Delivery.LoadTest?.Path }.OfType<string>().Distinct(StringComparer.Ordinal)]
            : [];

    /// <summary>The pods a mesh policy of a service selects: all of its pods, whichever Deployment runs them.</summary>
    public static Dictionary<string, string> PolicySelector(ServiceSettings service, StackSettings settings) =>
        settings.IsProgressive(service) ? AllPods(service) : Labels.Selector(service);
}
