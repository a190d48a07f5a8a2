using Infra.Mesh.Delivery.Flagger;
using Infra.Mesh.Istio.Ambient;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using k8s.Models;

namespace Infra.Mesh.Analysis;

/// <summary>
/// An object a controller in the cluster creates from a planned one: not in the plan, but its kind, namespace and name
/// are as fixed as a planned object's, so a planned object with the same id fights the controller over it (or its
/// create fails with AlreadyExists). <paramref name="Id"/> has the form of <see cref="ManifestIds.Of"/>.
/// </summary>
/// <param name="Source">The planned object it comes from, as <c>Kind namespace/name</c>.</param>
/// <param name="Controller">Who creates it, in words for a finding.</param>
public sealed record ControllerObject(string Id, string Source, string Controller);

/// <summary>
/// The objects controllers derive from a plan's objects, by the upstream naming rules:
/// <list type="bullet">
/// <item>Istio's gateway deployment controller, for a Gateway API Gateway of an Istio class: a ServiceAccount, a
/// Deployment and a Service named <c>&lt;gateway&gt;</c> for the waypoint, east-west and agentgateway classes, else
/// <c>&lt;gateway&gt;-&lt;class&gt;</c> (istio/istio 1.30.3 pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go
/// <c>configureIstioGateway</c>: <c>DeploymentName</c> and <c>ServiceAccount</c> are <c>GetDefaultName</c>;
/// gateway_utils.go <c>GetDefaultName</c>; classinfo.go <c>DisableNameSuffix</c>; the templates
/// manifests/charts/istio-control/istio-discovery/files/waypoint.yaml and kube-gateway.yaml).</item>
/// <item>Flagger, for a Canary: the Deployment <c>&lt;target&gt;-primary</c>, the Services <c>&lt;service&gt;</c>,
/// <c>&lt;service&gt;-primary</c>, <c>&lt;service&gt;-canary</c>, the HorizontalPodAutoscaler <c>&lt;autoscaler&gt;-primary</c>,
/// a <c>&lt;name&gt;-primary</c> copy of every ConfigMap and Secret the target's pods use (unless tracking is
/// disabled), and the mesh's routes: Istio's VirtualService <c>&lt;service&gt;</c> and DestinationRules
/// <c>&lt;service&gt;-primary</c>, <c>&lt;service&gt;-canary</c>, or Gateway API's HTTPRoute <c>&lt;service&gt;</c>
/// (fluxcd/flagger v1.44.0 pkg/apis/flagger/v1beta1/canary.go <c>GetServiceNames</c>, pkg/canary/deployment_controller.go,
/// hpa_reconciler.go, config_tracker.go, pkg/router/istio.go, gateway_api.go).</item>
/// </list>
/// </summary>
public static class ControllerObjects
{
    private const string IstioGatewayController = "Istio's gateway controller";
    private const string Flagger = "Flagger";

    /// <summary>
    /// Gateway classes of Istio's deployment controller whose objects take the Gateway's own name (classinfo.go
    /// <c>DisableNameSuffix: true</c>); Istio's other class, <c>istio</c>, appends <c>-&lt;class&gt;</c>.
    /// </summary>
    private static readonly HashSet<string> UnsuffixedClasses = new(StringComparer.Ordinal) { Waypoints.GatewayClass, "istio-east-west", "istio-agentgateway" };

    private static readonly HashSet<string> IstioClasses = new(UnsuffixedClasses, StringComparer.Ordinal) { "istio" };

    /// <summary>Every object controllers derive from <paramref name="plan"/>'s objects; linear in the plan's size.</summary>
    public static IEnumerable<ControllerObject> Of(MeshPlan plan)
    {
        return plan.Items.OfType<ManifestItem>().Select(i => i.Object).SelectMany(o => o switch
        {
            KubernetesGateway gateway => OfGateway(gateway),
            Canary canary => OfCanary(canary, plan),
            _ => [],
        });
    }

    /// <summary>What Istio deploys for a Gateway of <paramref name="gatewayClass"/> named <paramref name="name"/> in <paramref name="ns"/>.</summary>
    public static IEnumerable<ControllerObject> OfGateway(string ns, string name, string gatewayClass)
    {
        if (!IstioClasses.Contains(gatewayClass))
        {
            return [];
        }

        var deployed = UnsuffixedClasses.Contains(gatewayClass) ? name : $"{name}-{gatewayClass}";
        var source = $"Gateway {ns}/{name} (class {gatewayClass})";
        return new[] { V1ServiceAccount.KubeKind, V1Deployment.KubeKind, V1Service.KubeKind }
            .Select(kind => new ControllerObject($"{kind}/{ns}/{deployed}", source, IstioGatewayController));
    }

    private static IEnumerable<ControllerObject> OfGateway(KubernetesGateway gateway) =>
        OfGateway(gateway.Metadata.NamespaceProperty, gateway.Metadata.Name, gateway.Spec.GatewayClassName);

    private static IEnumerable<ControllerObject> OfCanary(Canary canary, MeshPlan plan)
    {
        var ns = canary.Metadata.NamespaceProperty;
        var source = $"Canary {ns}/{canary.Metadata.Name}";
        var target = canary.Spec.TargetRef.Name;
        // The Infra Canary sets no service.name, so the apex is the target's name (GetServiceNames).
        var apex = target;
        var ids = new List<string>
        {
            $"{V1Deployment.KubeKind}/{ns}/{target}-primary",
            $"{V1Service.KubeKind}/{ns}/{apex}",
            $"{V1Service.KubeKind}/{ns}/{apex}-primary",
            $"{V1Service.KubeKind}/{ns}/{apex}-canary",
        };
        if (canary.Spec.AutoscalerRef is { } autoscaler)
        {
            ids.Add($"{V2HorizontalPodAutoscaler.KubeKind}/{ns}/{autoscaler.Name}-primary");
        }

        ids.AddRange(plan.Settings.Mesh == MeshKind.Istio
            ? [$"VirtualService/{ns}/{apex}", $"DestinationRule/{ns}/{apex}-primary", $"DestinationRule/{ns}/{apex}-canary"]
            : [$"HTTPRoute/{ns}/{apex}"]);
        if (plan.Find($"{V1Deployment.KubeKind}/{ns}/{target}") is ManifestItem { Object: V1Deployment deployment })
        {
            ids.AddRange(TrackedConfigs(deployment.Spec.Template.Spec)
                .Where(c => !((plan.Find($"{c.Kind}/{ns}/{c.Name}") as ManifestItem)?.Object.Metadata.Annotations?.TryGetValue(Workloads.WorkloadPlanner.ConfigTrackingAnnotation, out var tracking) == true
                    && tracking == "disabled"))
                .Distinct()
                .Select(c => $"{c.Kind}/{ns}/{c.Name}-primary"));
        }

        return ids.Select(id => new ControllerObject(id, source, Flagger));
    }

    /// <summary>The ConfigMaps and Secrets a pod spec reads (volumes, env and envFrom), which Flagger copies for the primary.</summary>
    private static IEnumerable<(string Kind, string Name)> TrackedConfigs(V1PodSpec pod)
    {
        foreach (var volume in pod.Volumes ?? [])
        {
            if (volume.ConfigMap?.Name is { } map)
            {
                yield return (V1ConfigMap.KubeKind, map);
            }

            if (volume.Secret?.SecretName is { } secret)
            {
                yield return (V1Secret.KubeKind, secret);
            }
        }

        foreach (var container in pod.Containers.Concat(pod.InitContainers ?? []))
        {
            foreach (var env in container.Env ?? [])
            {
                if (env.ValueFrom?.ConfigMapKeyRef?.Name is { } map)
                {
                    yield return (V1ConfigMap.KubeKind, map);
                }

                if (env.ValueFrom?.SecretKeyRef?.Name is { } secret)
                {
                    yield return (V1Secret.KubeKind, secret);
                }
            }

            foreach (var from in container.EnvFrom ?? [])
            {
                if (from.ConfigMapRef?.Name is { } map)
                {
                    yield return (V1ConfigMap.KubeKind, map);
                }

                if (from.SecretRef?.Name is { } secret)
                {
                    yield return (V1Secret.KubeKind, secret);
                }
            }
        }
    }
}
