using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infra.Kubeconfig;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;

namespace Infra.Cli.Verify;

/// <summary>One row of the verify report: a thing looked at in the cluster and what was found.</summary>
/// <param name="Area"><c>control plane</c>, <c>proxies</c>, <c>policies</c> or <c>verification</c>.</param>
/// <param name="Subject">What was looked at, e.g. <c>Deployment istio-system/istiod-1-30-3</c>.</param>
/// <param name="Ok">Whether it is as planned.</param>
/// <param name="Details">Why not (one line each, e.g. a drifted field), or a short summary when it is.</param>
public sealed record VerifyRow(string Area, string Subject, bool Ok, IReadOnlyList<string> Details);

/// <summary>The cluster could not be asked at all (unreachable, unauthorized): bad input, not a finding.</summary>
public sealed class ClusterUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Compares a live cluster with a stack's plan through the Kubernetes API: the control plane is ready at the planned
/// version, every pod of every planned workload runs a ready proxy of that version, every planned policy object exists
/// with the planned spec, and the plan's verification Jobs succeeded.
/// </summary>
public sealed class ClusterVerifier(IKubernetes client, MeshPlan plan)
{
    public const string ControlPlane = "control plane";
    public const string Proxies = "proxies";
    public const string Policies = "policies";
    public const string Verification = "verification";

    private readonly LiveExpectation _live = MeshPlanner.MeshFor(plan.Settings).Proxy.Live(plan.Settings);

    /// <summary>Every row, in report order.</summary>
    /// <exception cref="ClusterUnavailableException">The API server could not be reached or refused the credentials.</exception>
    public async Task<IReadOnlyList<VerifyRow>> RunAsync(CancellationToken cancel = default)
    {
        var rows = new List<VerifyRow>();
        rows.AddRange(await ControlPlaneRowsAsync(cancel));
        rows.AddRange(await ProxyRowsAsync(cancel));
        rows.AddRange(await PolicyRowsAsync(cancel));
        rows.AddRange(await JobRowsAsync(cancel));
        return rows;
    }

    private IEnumerable<ManifestItem> Manifests(StageKind stage) => plan.Stage(stage).Items.OfType<ManifestItem>();

    private async Task<IEnumerable<VerifyRow>> ControlPlaneRowsAsync(CancellationToken cancel)
    {
        var rows = new List<VerifyRow>();
        foreach (var deployment in _live.Deployments)
        {
            var subject = $"Deployment {deployment}";
            var live = await GetAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync(deployment.Name, deployment.Namespace, cancellationToken: cancel));
            if (live is null)
            {
                rows.Add(new VerifyRow(ControlPlane, subject, false, ["not found"]));
                continue;
            }

            var wanted = live.Spec?.Replicas ?? 1;
            var ready = live.Status?.ReadyReplicas ?? 0;
            var updated = live.Status?.UpdatedReplicas ?? 0;
            rows.Add(ready >= wanted && updated >= wanted
                ? new VerifyRow(ControlPlane, subject, true, [$"{ready}/{wanted} ready"])
                : new VerifyRow(ControlPlane, subject, false, [$"{ready}/{wanted} ready, {updated}/{wanted} updated"]));
        }

        foreach (var name in _live.MutatingWebhooks)
        {
            var live = await GetAsync(() => client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(name, cancellationToken: cancel));
            rows.Add(new VerifyRow(ControlPlane, $"MutatingWebhookConfiguration {name}", live is not null, live is null ? ["not found"] : ["present"]));
        }

        foreach (var name in _live.ValidatingWebhooks)
        {
            var live = await GetAsync(() => client.AdmissionregistrationV1.ReadValidatingWebhookConfigurationAsync(name, cancellationToken: cancel));
            rows.Add(new VerifyRow(ControlPlane, $"ValidatingWebhookConfiguration {name}", live is not null, live is null ? ["not found"] : ["present"]));
        }

        // Every custom API version the plan writes must be served by an installed CRD.
        var versions = plan.Stages.SelectMany(s => s.Items).OfType<ManifestItem>()
            .Select(m => (m.Object.ApiVersion, m.Kind))
            .Where(v => v.ApiVersion.Contains('.', StringComparison.Ordinal) && !BuiltIn(v.ApiVersion))
            .Distinct()
            .OrderBy(v => v.ApiVersion, StringComparer.Ordinal).ThenBy(v => v.Kind, StringComparer.Ordinal);
        foreach (var (apiVersion, kind) in versions)
        {
            var (group, version) = Split(apiVersion);
            var name = $"{Plural(kind)}.{group}";
            var crd = await GetAsync(() => client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: cancel));
            var served = crd?.Spec.Versions.Any(v => v.Name == version && v.Served) ?? false;
            rows.Add(new VerifyRow(ControlPlane, $"CustomResourceDefinition {name}", served,
                crd is null ? ["not found"]
                : served ? [$"serves {version}"]
                : [$"does not serve {version} (serves {string.Join(", ", crd.Spec.Versions.Where(v => v.Served).Select(v => v.Name))})"]));
        }

        return rows;
    }

    private async Task<IEnumerable<VerifyRow>> ProxyRowsAsync(CancellationToken cancel)
    {
        var rows = new List<VerifyRow>();
        foreach (var item in Manifests(StageKind.Workloads).Where(m => m.Object is V1Deployment))
        {
            var deployment = (V1Deployment)item.Object;
            var ns = item.Namespace!;
            var app = deployment.Spec.Template.Metadata.Labels[Labels.App];
            // Every planned Deployment runs a catalog service (stable or canary); looked up in the catalog's index,
            // not by scanning the catalog per Deployment.
            var service = plan.Settings.Service(app);
            var injected = service.Injected;
            // Under progressive delivery Flagger scales the planned Deployment to zero and runs its copy
            // <service>-primary, whose pods it relabels app: <service>-primary; between rollouts those are the pods.
            var selector = plan.Settings.IsProgressive(service) && item.Name == service.Name
                ? $"{Labels.App}={FlaggerNames.Primary(service)}"
                : string.Join(',', deployment.Spec.Selector.MatchLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
            var pods = await ListAsync(() => client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: cancel));
            var problems = new List<string>();
            if (pods.Items.Count == 0 && (deployment.Spec.Replicas ?? 1) > 0)
            {
                problems.Add("no pods");
            }

            foreach (var pod in pods.Items.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal))
            {
                problems.AddRange(PodProblems(pod, injected).Select(p => $"{pod.Metadata.Name}: {p}"));
            }

            var subject = $"Deployment {ns}/{item.Name}";
            rows.Add(problems.Count == 0
                ? new VerifyRow(Proxies, subject, true, [$"{CliContext.Count(pods.Items.Count, "pod")} ready, " + (!injected ? "not injected (inject: false)" : _live.ProxyContainer is null ? "enrolled (ambient)" : $"proxy {_live.ProxyVersion}")])
                : new VerifyRow(Proxies, subject, false, problems));
        }

        return rows;
    }

    private IEnumerable<string> PodProblems(V1Pod pod, bool injected)
    {
        var ready = pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") ?? false;
        if (!ready)
        {
            yield return $"not Ready (phase {pod.Status?.Phase ?? "unknown"})";
        }

        if (!injected)
        {
            yield break;
        }

        if (_live.ProxyContainer is null)
        {
            // Ambient: no proxy in the pod; the node agent marks the pods whose traffic it redirects to ztunnel.
            if (_live.EnrolledAnnotation is var (key, expected) && !(pod.Metadata.Annotations?.TryGetValue(key, out var enrolled) == true && enrolled == expected))
            {
                yield return $"not enrolled in the ambient mesh (no {key}: {expected})";
            }

            yield break;
        }

        // Native sidecars are init containers with restartPolicy Always; classic sidecars are containers.
        var proxy = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers).FirstOrDefault(c => c.Name == _live.ProxyContainer);
        if (proxy is null)
        {
            yield return $"no {_live.ProxyContainer} container (not injected)";
            yield break;
        }

        var version = _live.ProxyVersionAnnotation is { } annotation
            ? (pod.Metadata.Annotations is { } annotations && annotations.TryGetValue(annotation, out var value) ? value : null)
            : ImageTag(proxy.Image);
        if (version is null || !(version == _live.ProxyVersion || version.StartsWith(_live.ProxyVersion + "-", StringComparison.Ordinal)))
        {
            yield return $"proxy version {version ?? "unknown"}, control plane {_live.ProxyVersion}";
        }
    }

    private async Task<IEnumerable<VerifyRow>> PolicyRowsAsync(CancellationToken cancel)
    {
        var rows = new List<VerifyRow>();
        foreach (var item in Manifests(StageKind.Policies))
        {
            var subject = $"{item.Kind} {item.Namespace}/{item.Name}";
            var live = await GetObjectAsync(item, cancel);
            if (live is null)
            {
                rows.Add(new VerifyRow(Policies, subject, false, ["not found"]));
                continue;
            }

            var planned = ObjectJson.Of(item.Object);
            var drift = new List<string>();
            foreach (var field in planned.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata" or "status")))
            {
                Drift.Compare(field, planned[field], live[field], drift);
            }

            rows.Add(new VerifyRow(Policies, subject, drift.Count == 0, drift.Count == 0 ? ["as planned"] : drift));
        }

        return rows;
    }

    private async Task<IEnumerable<VerifyRow>> JobRowsAsync(CancellationToken cancel)
    {
        var rows = new List<VerifyRow>();
        foreach (var item in Manifests(StageKind.Verification).Where(m => m.Object is V1Job))
        {
            var ns = item.Namespace!;
            var subject = $"Job {ns}/{item.Name}";
            var job = await GetAsync(() => client.BatchV1.ReadNamespacedJobAsync(item.Name, ns, cancellationToken: cancel));
            if (job is null)
            {
                rows.Add(new VerifyRow(Verification, subject, false, ["not found: not deployed with this plan yet (run pulumi up)"]));
                continue;
            }

            if ((job.Status?.Succeeded ?? 0) > 0)
            {
                rows.Add(new VerifyRow(Verification, subject, true, ["succeeded"]));
                continue;
            }

            var failed = job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
            if (failed is null)
            {
                rows.Add(new VerifyRow(Verification, subject, false, [$"not finished ({job.Status?.Active ?? 0} active)"]));
                continue;
            }

            rows.Add(new VerifyRow(Verification, subject, false, [$"failed: {failed.Reason ?? "unknown"}", .. await FailedChecksAsync(ns, item.Name, cancel)]));
        }

        return rows;
    }

    /// <summary>The <c>FAIL</c> lines of the Job's latest pod's log: which edge, what was expected, what came back.</summary>
    private async Task<IEnumerable<string>> FailedChecksAsync(string ns, string job, CancellationToken cancel)
    {
        var pods = await ListAsync(() => client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"job-name={job}", cancellationToken: cancel));
        var latest = pods.Items.OrderBy(p => p.Metadata.CreationTimestamp).LastOrDefault();
        if (latest is null)
        {
            return [];
        }

        try
        {
            using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(latest.Metadata.Name, ns, container: "verify", cancellationToken: cancel);
            using var reader = new StreamReader(stream);
            var log = await reader.ReadToEndAsync(cancel);
            return log.Split('\n').Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)).Select(l => l.TrimEnd());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
        {
            return ["(log no longer available)"];
        }
    }

    private async Task<JsonNode?> GetObjectAsync(ManifestItem item, CancellationToken cancel)
    {
        var ns = item.Namespace!;
        if (item.Object.ApiVersion == "v1" && item.Kind == "Service")
        {
            var service = await GetAsync(() => client.CoreV1.ReadNamespacedServiceAsync(item.Name, ns, cancellationToken: cancel));
            return service is null ? null : JsonNode.Parse(KubernetesJson.Serialize(service));
        }

        var (group, version) = Split(item.Object.ApiVersion);
        var custom = await GetAsync(() => client.CustomObjects.GetNamespacedCustomObjectAsync(group, version, ns, Plural(item.Kind), item.Name, cancel));
        return custom switch
        {
            null => null,
            JsonElement element => JsonNode.Parse(element.GetRawText()),
            _ => JsonNode.Parse(KubernetesJson.Serialize(custom)),
        };
    }

    /// <summary>The object, or null when the API server says 404; unreachable or unauthorized is <see cref="ClusterUnavailableException"/>.</summary>
    private static async Task<T?> GetAsync<T>(Func<Task<T>> get)
        where T : class
    {
        try
        {
            return await get();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            throw new ClusterUnavailableException($"the API server answered {(int)e.Response.StatusCode} {e.Response.StatusCode}: {Short(e.Response.Content)}", e);
        }
        catch (HttpRequestException e)
        {
            throw new ClusterUnavailableException($"cannot reach the API server: {e.Message}", e);
        }
        catch (Exception e) when (e is KubeConfigException or KubernetesClientException)
        {
            // Credentials are refreshed per request (a credential plugin's token expires, an OIDC refresh fails).
            throw new ClusterUnavailableException($"cannot authenticate to the API server: {KubeconfigLoader.FirstLine(e)}", e);
        }
    }

    private static async Task<T> ListAsync<T>(Func<Task<T>> list)
        where T : class =>
        await GetAsync(list) ?? throw new InvalidOperationException("a list cannot be 404");

    private static string Short(string? text) => text is null ? "" : text.Length > 200 ? text[..200] + "..." : text;

    private static bool BuiltIn(string apiVersion) =>
        apiVersion.Split('/')[0] is var group && (group.EndsWith(".k8s.io", StringComparison.Ordinal) && group != "gateway.networking.k8s.io");

    private static (string Group, string Version) Split(string apiVersion) =>
        apiVersion.Split('/') is [var group, var version] ? (group, version) : ("", apiVersion);

    /// <summary>
    /// The resource name of a kind in the API's paths: the CRDs of every kind planned here declare the English plural
    /// (<c>gateways</c>, <c>authorizationpolicies</c>, <c>canaries</c>; checked against the pinned CRDs' <c>spec.names.plural</c>
    /// by the tests), not Kubernetes' fallback guess for kinds without a CRD (which would say <c>gatewaies</c>).
    /// </summary>
    public static string Plural(string kind)
    {
        var lower = kind.ToLowerInvariant();
        return lower switch
        {
            [.., not ('a' or 'e' or 'i' or 'o' or 'u'), 'y'] => lower[..^1] + "ies",
            [.., 's'] => lower + "es",
            _ => lower + "s",
        };
    }

    private static string? ImageTag(string? image)
    {
        if (image is null)
        {
            return null;
        }

        var name = image.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        return colon > slash ? name[(colon + 1)..] : null;
    }
}
