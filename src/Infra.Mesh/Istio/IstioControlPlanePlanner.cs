using System.Text.Json.Nodes;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;

namespace Infra.Mesh.Istio;

/// <summary>
/// Installs Istio from its official charts, in Istio's documented order: <c>base</c> (CRDs), <c>cni</c>, one
/// <c>istiod</c> per revision, then, when any service is public, the ingress <c>gateway</c>. In ambient mode:
/// <c>base</c> and the Gateway API CRDs, <c>istiod</c>, <c>cni</c>, <c>ztunnel</c>, then the gateway.
/// Every value set here exists in the chart's values.yaml of the pinned version (tests check it).
/// </summary>
public sealed class IstioControlPlanePlanner : IPlanner
{
    public const string BaseRelease = "istio-base";
    public const string CniRelease = "istio-cni";
    public const string ZtunnelRelease = "ztunnel";

    /// <summary>The chart profile (profiles/profile-ambient.yaml) istiod, cni and ztunnel are installed with in ambient mode.</summary>
    public const string AmbientProfile = "ambient";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        var istio = settings.Istio;
        var crds = plan.Add(StageKind.Crds, Release(BaseRelease, "base", istio.Version, new JsonObject
        {
            // The default revision validates Istio objects cluster-wide; it follows the tag through an upgrade.
            ["defaultRevision"] = istio.TagRevision,
        }) with
        {
            // The CRDs hold every VirtualService and policy of the cluster: never delete them with the stack in prod.
            Protect = settings.IsProduction,
            RetainOnDelete = settings.IsProduction,
        });

        List<string> controlPlaneNeeds = [crds.Id];
        if (istio.Ambient)
        {
            // Waypoints are Gateway API Gateways, and istiod only watches the Gateway API kinds whose CRDs exist.
            controlPlaneNeeds.Add(plan.Add(StageKind.Crds, GatewayApiCrds.Item(settings.IsProduction)).Id);
        }
        else if (istio.Cni)
        {
            // The node agent sets up traffic redirection, so pods need no NET_ADMIN/NET_RAW init container
            // (which Pod Security "restricted" forbids). Defaults suit standard CNI paths.
            controlPlaneNeeds.Add(plan.Add(StageKind.ControlPlane, Release(CniRelease, "cni", istio.Version, []) with
            {
                DependsOn = [crds.Id],
            }).Id);
        }

        var gatewayPlanned = settings.Services.Any(s => s.Public is not null);
        var untagged = istio.Revisions.Where(r => r.Name != istio.TagRevision)
            .Select(revision => plan.Add(StageKind.ControlPlane, Istiod(settings, revision, gatewayPlanned) with
            {
                DependsOn = [.. controlPlaneNeeds],
            }).Id)
            .ToList();
        // The tag's webhook and Service belong to whichever istiod release lists the tag, and Helm will not create an
        // object another release owns. When the tag moves, the release giving it up must be upgraded first.
        var tagged = plan.Add(StageKind.ControlPlane, Istiod(settings, istio.Revisions.Single(r => r.Name == istio.TagRevision), gatewayPlanned) with
        {
            DependsOn = [.. controlPlaneNeeds, .. untagged],
        });

        if (istio.Ambient)
        {
            AmbientDataPlane(plan, tagged.Id);
        }

        if (gatewayPlanned)
        {
            plan.Add(StageKind.GatewaysAndAddons, new HelmReleaseItem(
                IstioNames.IngressGatewayRelease, "gateway", IstioSettings.ChartRepository, istio.Version, settings.Ingress.Namespace,
                IngressGatewayValues(settings), [])
            {
                // The gateway's proxy is injected by the tagged revision's webhook when its pods are created.
                DependsOn = [tagged.Id],
            });
        }
    }

    /// <summary>
    /// The ambient node components after istiod, in Istio's documented order (istiod, cni, ztunnel): the CNI node agent
    /// moves enrolled pods' traffic into ztunnel, and ztunnel gets its certificates and workload config from istiod.
    /// Both take <c>profile: ambient</c> as upstream installs them (<c>--set profile=ambient</c>): on cni the profile sets
    /// <c>cni.ambient.enabled</c>, on ztunnel <c>global.variant: distroless</c> (profiles/profile-ambient.yaml, 1.30.3).
    /// </summary>
    private static void AmbientDataPlane(PlanBuilder plan, string istiodId)
    {
        var istio = plan.Settings.Istio;
        var cni = plan.Add(StageKind.ControlPlane, Release(CniRelease, "cni", istio.Version, new JsonObject { ["profile"] = AmbientProfile }) with
        {
            DependsOn = [istiodId],
        });
        plan.Add(StageKind.ControlPlane, Release(ZtunnelRelease, "ztunnel", istio.Version, new JsonObject
        {
            ["profile"] = AmbientProfile,
            // ztunnel finds its xDS server and CA at istiod-<revision> (templates/daemonset.yaml): the revision the tag
            // points at, so moving the tag moves ztunnel too (a rolling restart of the DaemonSet, node by node).
            ["revision"] = istio.TagRevision,
        }) with
        {
            DependsOn = [istiodId, cni.Id],
        });
    }

    private static HelmReleaseItem Istiod(StackSettings settings, IstioRevision revision, bool gatewayPlanned) =>
        Release(IstioNames.IstiodRelease(revision), "istiod", revision.Version, IstiodValues.For(settings, revision, gatewayPlanned));

    private static HelmReleaseItem Release(string name, string chart, string version, JsonObject values) =>
        new(name, chart, IstioSettings.ChartRepository, version, IstioSettings.SystemNamespace, values, []);

    private static JsonObject IngressGatewayValues(StackSettings settings)
    {
        var replicas = settings.Ingress.Replicas;
        var values = new JsonObject
        {
            // The revision itself, not the tag: moving the tag changes this value, which rolls the gateway
            // pods onto the new control plane in the same `pulumi up`.
            ["revision"] = settings.Istio.TagRevision,
            ["autoscaling"] = settings.IsProduction
                ? new JsonObject { ["enabled"] = true, ["minReplicas"] = replicas, ["maxReplicas"] = replicas * 3 }
                : new JsonObject { ["enabled"] = false },
        };
        if (!settings.IsProduction)
        {
            values["replicaCount"] = replicas;
        }

        if (replicas > 1)
        {
            values["podDisruptionBudget"] = new JsonObject { ["minAvailable"] = 1, ["unhealthyPodEvictionPolicy"] = "AlwaysAllow" };
            values["topologySpreadConstraints"] = IstiodValues.Spread(IstioNames.IngressGatewaySelector);
        }

        return values;
    }
}
