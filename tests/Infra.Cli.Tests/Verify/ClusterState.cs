using System.Text.Json.Nodes;
using Infra.Cli.Verify;
using Infra.Mesh.Planning;
using Infra.Mesh.Planner;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Cli.Tests.Verify;

/// <summary>
/// What the API server of a cluster where <c>pulumi up</c> of a plan went well returns, in the JSON Kubernetes
/// serves (with the server-side fields a live object has: uid, resourceVersion, status); tests then break one thing.
/// </summary>
public static class ClusterState
{
    public const string IstioProxyImage = "docker.io/istio/proxyv2:";
    public const string LinkerdProxyImage = "cr.l5d.io/linkerd/proxy:";

    public static void Healthy(FakeApiServer server, MeshPlan plan)
    {
        var live = MeshPlanner.MeshFor(plan.Settings).Proxy.Live(plan.Settings);
        foreach (var deployment in live.Deployments)
        {
            server.Put($"/apis/apps/v1/namespaces/{deployment.Namespace}/deployments/{deployment.Name}", Deployment(deployment.Namespace, deployment.Name, ready: 2, wanted: 2));
        }

        foreach (var name in live.MutatingWebhooks)
        {
            server.Put($"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}", Meta("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", null, name));
        }

        foreach (var name in live.ValidatingWebhooks)
        {
            server.Put($"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{name}", Meta("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", null, name));
        }

        var items = plan.Stages.SelectMany(s => s.Items).OfType<ManifestItem>().ToList();
        foreach (var group in items.Where(m => m.Object.ApiVersion.Contains('.', StringComparison.Ordinal) && !m.Object.ApiVersion.Contains(".k8s.io/", StringComparison.Ordinal) || m.Object.ApiVersion.StartsWith("gateway.networking.k8s.io/", StringComparison.Ordinal))
                     .GroupBy(m => (Group: m.Object.ApiVersion.Split('/')[0], m.Kind)))
        {
            var versions = group.Select(m => m.Object.ApiVersion.Split('/')[1]).Distinct().ToList();
            var name = $"{ClusterVerifier.Plural(group.Key.Kind)}.{group.Key.Group}";
            var crd = Meta("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, name);
            crd["spec"] = new JsonObject
            {
                ["group"] = group.Key.Group,
                ["names"] = new JsonObject { ["kind"] = group.Key.Kind, ["plural"] = ClusterVerifier.Plural(group.Key.Kind) },
                ["scope"] = "Namespaced",
                ["versions"] = new JsonArray([.. versions.Select((v, i) => (JsonNode)new JsonObject { ["name"] = v, ["served"] = true, ["storage"] = i == 0 })]),
            };
            server.Put($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}", crd);
        }

        foreach (var item in plan.Stage(StageKind.Workloads).Items.OfType<ManifestItem>().Where(m => m.Object is V1Deployment))
        {
            var deployment = (V1Deployment)item.Object;
            var app = deployment.Spec.Template.Metadata.Labels["app"];
            var service = plan.Settings.Services.Single(s => s.Name == app);
            var injected = service.Injected;
            var labels = deployment.Spec.Template.Metadata.Labels;
            var owner = item.Name;
            if (plan.Settings.IsProgressive(service))
            {
                // Flagger's copy runs the pods, relabelled; the planned Deployment is scaled to zero.
                owner = FlaggerNames.Primary(service);
                labels = new Dictionary<string, string>(labels) { ["app"] = owner };
            }

            for (var i = 0; i < Math.Max(1, deployment.Spec.Replicas ?? 1); i++)
            {
                var pod = Pod(item.Namespace!, $"{owner}-5d8f7c9b4-{i}x2kq", labels, injected ? live.ProxyContainer : null,
                    live.ProxyContainer == "linkerd-proxy" ? LinkerdProxyImage + live.ProxyVersion : IstioProxyImage + live.ProxyVersion,
                    live.ProxyVersionAnnotation);
                if (injected && live.EnrolledAnnotation is var (key, value))
                {
                    // What istio-cni's node agent writes once it redirects the pod's traffic to ztunnel.
                    pod["metadata"]!["annotations"] = new JsonObject { [key] = value };
                }

                server.Put($"/api/v1/namespaces/{item.Namespace}/pods/{pod["metadata"]!["name"]}", pod);
            }
        }

        foreach (var item in plan.Stage(StageKind.Policies).Items.OfType<ManifestItem>())
        {
            var json = ObjectJson.Of(item.Object);
            var metadata = json["metadata"]!.AsObject();
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["resourceVersion"] = "4711";
            metadata["generation"] = 1;
            metadata["creationTimestamp"] = "2026-11-29T10:00:00Z";
            json["status"] = new JsonObject { ["observedGeneration"] = 1 };
            server.Put(PathOf(item), json);
        }

        foreach (var item in plan.Stage(StageKind.Verification).Items.OfType<ManifestItem>().Where(m => m.Kind == "Job"))
        {
            var job = ObjectJson.Of(item.Object);
            job["status"] = new JsonObject
            {
                ["succeeded"] = 1,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Complete", ["status"] = "True" }),
            };
            server.Put($"/apis/batch/v1/namespaces/{item.Namespace}/jobs/{item.Name}", job);
        }
    }

    /// <summary>Where the API serves a planned object.</summary>
    public static string PathOf(ManifestItem item) => item.Object.ApiVersion == "v1"
        ? $"/api/v1/namespaces/{item.Namespace}/{ClusterVerifier.Plural(item.Kind)}/{item.Name}"
        : $"/apis/{item.Object.ApiVersion}/namespaces/{item.Namespace}/{ClusterVerifier.Plural(item.Kind)}/{item.Name}";

    public static JsonObject Deployment(string ns, string name, int ready, int wanted)
    {
        var deployment = Meta("apps/v1", "Deployment", ns, name);
        deployment["spec"] = new JsonObject
        {
            ["replicas"] = wanted,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "example/control-plane:1" }) },
            },
        };
        deployment["status"] = new JsonObject { ["replicas"] = wanted, ["readyReplicas"] = ready, ["updatedReplicas"] = wanted, ["availableReplicas"] = ready };
        return deployment;
    }

    public static JsonObject Pod(string ns, string name, IDictionary<string, string> labels, string? proxy, string proxyImage, string? versionAnnotation)
    {
        var pod = Meta("v1", "Pod", ns, name);
        var podLabels = new JsonObject { ["pod-template-hash"] = "5d8f7c9b4" };
        foreach (var (key, value) in labels)
        {
            podLabels[key] = value;
        }

        pod["metadata"]!["labels"] = podLabels;
        if (proxy is not null && versionAnnotation is not null)
        {
            pod["metadata"]!["annotations"] = new JsonObject { [versionAnnotation] = proxyImage.Split(':')[^1] };
        }

        var spec = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = labels["app"], ["image"] = $"ghcr.io/acme/{labels["app"]}:1.0.0" }),
        };
        if (proxy is not null)
        {
            // A native sidecar: an init container that keeps running.
            spec["initContainers"] = new JsonArray(new JsonObject { ["name"] = proxy, ["image"] = proxyImage, ["restartPolicy"] = "Always" });
        }

        pod["spec"] = spec;
        pod["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "Initialized", ["status"] = "True" },
                new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
        };
        return pod;
    }

    public static JsonObject Meta(string apiVersion, string kind, string? ns, string name)
    {
        var metadata = new JsonObject { ["name"] = name, ["uid"] = Guid.NewGuid().ToString(), ["resourceVersion"] = "1", ["creationTimestamp"] = "2026-11-29T10:00:00Z" };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        return new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };
    }
}
