using System.Text.Json.Nodes;
using Infra.Mesh.Istio;
using Infra.Mesh.Istio.Resources;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA125 (Istio): under a Sidecar resource a proxy knows only its listed egress hosts, and istiod registers only
/// Services in its discoverySelectors' namespaces; with REGISTRY_ONLY everything else is dropped (502, or a reset for
/// TLS). The planner derives both lists; this rule re-derives what each workload needs from the catalog (the control
/// plane, its callees, its external hosts, the Kubernetes API when it mounts a token) and checks the plan against it,
/// so a destination can never silently fall out.
/// </summary>
public sealed class EgressRule : IPlanRule
{
    public void Check(RuleContext context, MeshPlan plan)
    {
        var settings = context.Settings;
        if (settings.Mesh != MeshKind.Istio)
        {
            return;
        }

        var sidecars = plan.Items.OfType<ManifestItem>().Select(i => i.Object).OfType<Sidecar>()
            .ToDictionary(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}", StringComparer.Ordinal);
        var discovered = DiscoveredNamespaces(plan);
        foreach (var service in settings.Services.Where(s => s.Injected))
        {
            var egress = sidecars.TryGetValue($"{service.Namespace}/{service.Name}", out var sidecar)
                ? sidecar.Spec.Egress.SelectMany(e => e.Hosts).ToHashSet(StringComparer.Ordinal)
                : null;
            foreach (var (host, why) in Needed(context, service))
            {
                var ns = host[..host.IndexOf('/', StringComparison.Ordinal)];
                var reachable = (egress is null || egress.Contains(host) || egress.Contains($"{ns}/*"))
                    && (discovered is null || discovered.Contains(ns) || ns == service.Namespace);
                if (!reachable)
                {
                    context.Report(RuleCatalog.EgressMissing, context.Service(service)["name"],
                        $"'{service.Name}' needs {host} ({why}), which its Sidecar egress or istiod's discoverySelectors leave out, so REGISTRY_ONLY drops it");
                }
            }
        }
    }

    private static IEnumerable<(string Host, string Why)> Needed(RuleContext context, ServiceSettings service)
    {
        yield return (IstioNames.ControlPlaneEgressHost, "the control plane");
        if (service.AutomountServiceAccountToken)
        {
            yield return (IstioNames.KubernetesApiEgressHost, "the Kubernetes API: it mounts a service account token");
        }

        foreach (var call in service.Calls)
        {
            var callee = context.ServicesByName[call.Service];
            yield return ($"{callee.Namespace}/{IstioNames.Host(callee)}", $"a declared call to '{callee.Name}'");
        }

        foreach (var host in service.ExternalHosts)
        {
            yield return ($"{host.ClusterNamespace ?? service.Namespace}/{host.Host}", "a declared external host");
        }
    }

    /// <summary>The namespaces of istiod's discoverySelectors (<c>kubernetes.io/metadata.name In [...]</c>); null when it watches all.</summary>
    private static HashSet<string>? DiscoveredNamespaces(MeshPlan plan)
    {
        var selectors = plan.Releases.Where(r => r.Chart == "istiod")
            .Select(r => r.Values["meshConfig"]?["discoverySelectors"]).OfType<JsonArray>().FirstOrDefault();
        return selectors?.OfType<JsonObject>()
            .SelectMany(s => s["matchExpressions"]?.AsArray() ?? [])
            .SelectMany(e => e?["values"]?.AsArray() ?? [])
            .Select(v => v!.GetValue<string>())
            .ToHashSet(StringComparer.Ordinal);
    }
}
