using System.Globalization;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA145: a canary split that a caller without a proxy bypasses. Both meshes carry out the split on the caller's
/// side: Istio programs a VirtualService's weighted and header routes into the outbound routes of the client's sidecar
/// (istio/istio 1.30.3 pilot/pkg/networking/core/httproute.go <c>buildSidecarOutboundHTTPRouteConfig</c>,
/// <c>BuildSidecarOutboundVirtualHosts</c>), and in ambient into the callee's waypoint, which only traffic from
/// ztunnel-captured pods is sent through (istio.io docs/ambient/architecture/data-plane: a pod outside the mesh is
/// "uncaptured"); Linkerd applies an HTTPRoute whose parent is a Service in the outbound proxies of that Service's
/// clients (linkerd.io/2-edge/features/httproute: "HTTPRoutes with a Service as their parent resource configure policies
/// for outbound proxies in pods which are clients of that Service"). A caller with <c>inject: false</c> has no such
/// proxy: its requests go through kube-proxy to any pod the Service selects, stable and canary alike, so the canary gets
/// its share of the pods instead of its weight, and the header route is ignored.
/// </summary>
public sealed class CanaryBypassRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.CanaryBypassed];

    public IReadOnlyList<string> Reads { get; } = ["istio"];

    public void Check(RuleContext context)
    {
        foreach (var (caller, _, callee) in context.CallsWithoutProxy())
        {
            if (callee.Canary is not { } canary)
            {
                continue;
            }

            var stablePods = callee.Autoscaling.Enabled ? callee.Autoscaling.MinReplicas : callee.Replicas;
            var pods = stablePods + canary.Replicas;
            var share = (100.0 * canary.Replicas / pods).ToString("0", CultureInfo.InvariantCulture);
            var proxy = context.Settings.Mesh == MeshKind.Linkerd
                ? "Linkerd applies the HTTPRoute's backend weights in the caller's outbound proxy"
                : context.Settings.Istio.Ambient
                    ? "in ambient the split runs in the callee's waypoint, which only traffic from pods in the mesh passes"
                    : "Istio applies the VirtualService's routes in the caller's sidecar";
            context.Report(RuleCatalog.CanaryBypassed, context.Call(caller, callee.Name),
                $"'{callee.Name}' runs a canary ({canary.Tag}, weight {canary.Weight}, {canary.Replicas} pod(s)) that '{caller.Name}' (inject: false) bypasses: "
                + $"{proxy}, and '{caller.Name}' has none, so its requests reach any of {callee.Name}'s {pods}{(callee.Autoscaling.Enabled ? " or more" : "")} pods through kube-proxy: "
                + $"about {share}% to the canary instead of {canary.Weight}%, and the header route ({canary.HeaderName}: {canary.HeaderValue}) is ignored; inject the caller, or take the canary down while it calls");
        }
    }
}
