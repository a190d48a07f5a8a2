using System.Text.Json.Nodes;
using Infra.Mesh.Istio;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis;

/// <summary>
/// The security audit of <c>analyze</c> (INFRA201..206), read from the rendered objects the plan holds, not from the
/// settings, so it shows what a cluster would really get: workloads outside the mesh, namespaces without Pod Security
/// <c>restricted</c>, default deny or STRICT mTLS, ports any pod can reach without authorization, and what is public.
/// </summary>
public sealed class SecurityAudit : IPlanRule
{
    private const string PodSecurityEnforce = "pod-security.kubernetes.io/enforce";
    private const string IstioExcludeInboundPorts = "traffic.sidecar.istio.io/excludeInboundPorts";

    /// <summary>Linkerd default inbound policies that admit clients without a mesh identity.</summary>
    private static readonly string[] UnauthenticatedPolicies = ["all-unauthenticated", "cluster-unauthenticated"];

    public void Check(RuleContext context, MeshPlan plan)
    {
        var settings = context.Settings;
        var objects = plan.Stages.SelectMany(PlanRenderer.Objects).ToList();
        var byKind = objects.ToLookup(o => (string?)o["kind"], StringComparer.Ordinal);
        var applicationNamespaces = settings.Namespaces.ToHashSet(StringComparer.Ordinal);

        foreach (var service in settings.Services.Where(s => !s.Injected))
        {
            context.Report(RuleCatalog.NotMeshed, context.Service(service)["inject"],
                $"'{service.Name}' runs without a proxy (inject: false): its traffic has no mTLS, no authorization and no mesh metrics");
        }

        var denyNamespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ns in byKind["Namespace"].Where(n => applicationNamespaces.Contains(Name(n))))
        {
            var name = Name(ns);
            var enforce = (string?)ns["metadata"]?["labels"]?[PodSecurityEnforce];
            if (enforce != "restricted")
            {
                context.Report(RuleCatalog.NotRestricted, context.Key("environment"),
                    $"namespace '{name}' enforces Pod Security '{enforce ?? "privileged (no label)"}', not 'restricted' (prod enforces restricted)");
            }

            if (settings.Mesh == MeshKind.Linkerd)
            {
                var policy = (string?)ns["metadata"]?["annotations"]?[LinkerdInjection.DefaultInboundPolicyAnnotation];
                if (policy == "deny")
                {
                    denyNamespaces.Add(name);
                }

                if (policy is not null && UnauthenticatedPolicies.Contains(policy))
                {
                    context.Report(RuleCatalog.NotStrictMtls, MtlsNode(context, name),
                        $"namespace '{name}' admits clients without a mesh identity on ports no Server selects ({LinkerdInjection.DefaultInboundPolicyAnnotation}: {policy})");
                }
            }
        }

        if (settings.Mesh == MeshKind.Istio)
        {
            denyNamespaces.UnionWith(byKind["AuthorizationPolicy"]
                .Where(p => Name(p) == IstioSecurityPlanner.DefaultDenyName && p["spec"] is JsonObject { Count: 0 })
                .Select(Namespace));
            AuditIstioMtls(context, byKind["PeerAuthentication"].ToList());
            AuditIstioAuthorization(context, byKind["AuthorizationPolicy"].ToList(), denyNamespaces);
        }

        foreach (var ns in applicationNamespaces.Where(ns => !denyNamespaces.Contains(ns)).Order(StringComparer.Ordinal))
        {
            context.Report(RuleCatalog.NoDefaultDeny, context.Key("security")["defaultDeny"],
                $"namespace '{ns}' is not under default deny: traffic no rule names is {(settings.Mesh == MeshKind.Linkerd ? "admitted by the default inbound policy" : "allowed to workloads without an ALLOW policy")}");
        }

        AuditPlainTextAdmission(context, byKind);
        AuditBypassedPorts(context, byKind["Deployment"]);
        foreach (var service in settings.Services.Where(s => s.Public is not null && settings.Mesh == MeshKind.Istio))
        {
            context.Report(RuleCatalog.Exposed, context.Service(service)["public"],
                $"'{service.Name}' is public at https://{service.Public!.Host} ({string.Join(", ", service.Public.PathPrefixes)}) through the ingress gateway");
        }
    }

    /// <summary>The namespace's PeerAuthentication, else the mesh-wide one in the root namespace (Istio's precedence).</summary>
    private static void AuditIstioMtls(RuleContext context, List<JsonObject> peerAuthentications)
    {
        string? Mode(string ns) => (string?)peerAuthentications.FirstOrDefault(p => Namespace(p) == ns)?["spec"]?["mtls"]?["mode"];
        var meshWide = Mode(IstioNames.RootNamespace) ?? "PERMISSIVE";
        foreach (var ns in context.Settings.Namespaces)
        {
            var mode = Mode(ns) ?? meshWide;
            if (mode != "STRICT")
            {
                context.Report(RuleCatalog.NotStrictMtls, MtlsNode(context, ns),
                    $"namespace '{ns}' accepts plain text (PeerAuthentication mode {mode}): any pod, meshed or not, can connect without an identity");
            }
        }
    }

    /// <summary>Outside default deny, Istio lets everything reach a workload that no ALLOW policy selects.</summary>
    private static void AuditIstioAuthorization(RuleContext context, List<JsonObject> policies, HashSet<string> denyNamespaces)
    {
        var guarded = policies.Where(p => (string?)p["spec"]?["action"] == "ALLOW")
            .Select(p => (Namespace(p), (string?)p["spec"]?["selector"]?["matchLabels"]?[Labels.App]))
            .ToHashSet();
        foreach (var service in context.Settings.Services.Where(s => s.Injected && !denyNamespaces.Contains(s.Namespace) && !guarded.Contains((s.Namespace, s.Name))))
        {
            context.Report(RuleCatalog.Unauthorized, context.Service(service)["name"],
                $"'{service.Name}' has no callers, no ALLOW policy and no default deny: every port ({string.Join(", ", service.Ports.Select(p => p.Port))}) is open to any client");
        }
    }

    /// <summary>
    /// Calls opened with <c>unauthenticated: true</c>, as the objects carry them out: Istio ALLOW rules for sources
    /// without a principal (<c>notPrincipals: ["*"]</c>) and workload PeerAuthentications that make ports PERMISSIVE;
    /// Linkerd AuthorizationPolicies that admit clients by network only.
    /// </summary>
    private static void AuditPlainTextAdmission(RuleContext context, ILookup<string?, JsonObject> byKind)
    {
        foreach (var policy in byKind["AuthorizationPolicy"])
        {
            var app = (string?)policy["metadata"]?["labels"]?[Labels.App];
            var plainText = policy["spec"]?["rules"] is JsonArray rules && rules.Any(r => r?["from"] is JsonArray from
                && from.Any(f => f?["source"]?["notPrincipals"] is JsonArray not && not.Any(p => (string?)p == "*")));
            var network = policy["spec"]?["requiredAuthenticationRefs"] is JsonArray refs && refs.Any(r => (string?)r?["kind"] == "NetworkAuthentication"
                && (string?)r?["name"] == LinkerdSecurityPlanner.UnauthenticatedAuthentication);
            if ((plainText || network) && app is not null && context.ServicesByName.TryGetValue(app, out var callee))
            {
                context.Report(RuleCatalog.Unauthorized, context.Service(callee)["name"],
                    $"AuthorizationPolicy {Namespace(policy)}/{Name(policy)} admits clients without a mesh identity "
                    + $"({(plainText ? "notPrincipals: [\"*\"]" : "NetworkAuthentication " + LinkerdSecurityPlanner.UnauthenticatedAuthentication)}): a call opened with unauthenticated: true");
            }
        }

        foreach (var peer in byKind["PeerAuthentication"].Where(p => p["spec"]?["portLevelMtls"] is JsonObject))
        {
            var permissive = peer["spec"]!["portLevelMtls"]!.AsObject().Where(p => (string?)p.Value?["mode"] != "STRICT").Select(p => p.Key).ToList();
            var app = (string?)peer["metadata"]?["labels"]?[Labels.App];
            if (permissive.Count > 0 && app is not null && context.ServicesByName.TryGetValue(app, out var callee))
            {
                context.Report(RuleCatalog.NotStrictMtls, context.Service(callee)["name"],
                    $"PeerAuthentication {Namespace(peer)}/{Name(peer)} accepts plain text on port(s) {string.Join(", ", permissive)} of '{app}' (for its calls opened with unauthenticated: true)");
            }
        }
    }

    /// <summary>Ports excluded from the proxy (nREPL) are reached directly: no mTLS, no authorization, from any pod.</summary>
    private static void AuditBypassedPorts(RuleContext context, IEnumerable<JsonObject> deployments)
    {
        foreach (var deployment in deployments)
        {
            var annotations = deployment["spec"]?["template"]?["metadata"]?["annotations"];
            var ports = (string?)annotations?[IstioExcludeInboundPorts] ?? (string?)annotations?[LinkerdInjection.SkipInboundPortsAnnotation];
            var app = (string?)deployment["metadata"]?["labels"]?[Labels.App];
            if (ports is null || app is null || !context.ServicesByName.TryGetValue(app, out var service))
            {
                continue;
            }

            var nrepl = context.Service(service)["nrepl"];
            context.Report(RuleCatalog.Unauthorized, nrepl.Exists ? nrepl : context.Service(service)["name"],
                $"port {ports} of Deployment {Name(deployment)} bypasses the proxy: only the app binding it to 127.0.0.1 ({PlatformEnvironment.NreplBind}) "
                + "keeps other pods from reaching it without mTLS or authorization (prod turns nREPL off)");
        }
    }

    private static Settings.ConfigNode MtlsNode(RuleContext context, string ns)
    {
        var perNamespace = context.Key("security")["namespaceMtls"][ns];
        return perNamespace.Exists ? perNamespace : context.Key("security")["mtls"];
    }

    private static string Name(JsonObject o) => (string)o["metadata"]!["name"]!;

    private static string Namespace(JsonObject o) => (string?)o["metadata"]!["namespace"] ?? "";
}
