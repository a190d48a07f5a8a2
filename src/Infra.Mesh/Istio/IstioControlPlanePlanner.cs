using System.Text.Json.Nodes;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Istio;

/// <summary>Installs Istio from its official charts: <c>base</c> (CRDs), then one <c>istiod</c> per revision.</summary>
public sealed class IstioControlPlanePlanner : IPlanner
{
    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        var istio = settings.Istio;
        var crds = plan.Add(StageKind.Crds, new HelmReleaseItem(
            "istio-base", "base", IstioSettings.ChartRepository, istio.Version, IstioSettings.SystemNamespace,
            new JsonObject { ["defaultRevision"] = istio.TagRevision }, [])
        {
            // The CRDs hold every VirtualService and policy of the cluster: never delete them with the stack in prod.
            Protect = settings.IsProduction,
            RetainOnDelete = settings.IsProduction,
        });

        foreach (var revision in istio.Revisions)
        {
            plan.Add(StageKind.ControlPlane, new HelmReleaseItem(
                $"istiod-{revision.Name}", "istiod", IstioSettings.ChartRepository, revision.Version, IstioSettings.SystemNamespace,
                new JsonObject
                {
                    ["revision"] = revision.Name,
                    ["revisionTags"] = revision.Name == istio.TagRevision ? new JsonArray(istio.Tag) : new JsonArray(),
                }, [])
            {
                DependsOn = [crds.Id],
            });
        }
    }
}
