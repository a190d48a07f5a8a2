using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA101 and INFRA105. A pod without a proxy (<c>inject: false</c>) sends plain text with no identity. Both meshes
/// authorize a meshed callee's declared callers by identity: an Istio ALLOW rule on <c>source.principals</c> does not
/// match a plain-text request (403 "RBAC: access denied" under PERMISSIVE, the connection is reset under STRICT), and a
/// Linkerd Server with <c>accessPolicy: deny</c> admits only the MeshTLSAuthentication's identities (403). So such a
/// call is an error (INFRA101) unless the call opens that one edge with <c>unauthenticated: true</c>, which the
/// security planners carry out (Istio: a <c>notPrincipals: ["*"]</c> rule and PERMISSIVE port-level mTLS; Linkerd: a
/// NetworkAuthentication) and which is then reported as the deliberate relaxation it is (INFRA105; an error in prod,
/// where every workload must be under STRICT mTLS).
/// </summary>
public sealed class IdentityRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.UninjectedCaller, RuleCatalog.UnauthenticatedCall];

    public IReadOnlyList<string> Reads { get; } = ["istio"];

    public void Check(RuleContext context)
    {
        foreach (var (caller, call, callee) in context.CallsWithoutProxy().Where(c => c.Callee.Injected))
        {
            var at = context.Call(caller, callee.Name);
            if (call.Unauthenticated)
            {
                context.Report(RuleCatalog.UnauthenticatedCall, at["unauthenticated"], Opened(context.Settings, caller, callee, call));
            }
            else
            {
                context.Report(RuleCatalog.UninjectedCaller, at,
                    $"'{caller.Name}' has inject: false, so its requests carry no mesh identity, and '{callee.Name}' admits only "
                    + "its declared callers' identities: every call would be denied; inject the caller (remove inject: false), "
                    + "or, outside prod, open this one call to plain text with unauthenticated: true");
            }
        }
    }

    private static string Opened(StackSettings settings, ServiceSettings caller, ServiceSettings callee, CallSettings call)
    {
        var requests = call.Methods.IsEmpty && call.Paths.IsEmpty
            ? "every request on every port"
            : $"{(call.Methods.IsEmpty ? "any method" : string.Join(", ", call.Methods))} on {(call.Paths.IsEmpty ? "any path" : string.Join(", ", call.Paths))}";
        var who = settings.Mesh == MeshKind.Linkerd
            ? "any client from any network, meshed or not (Linkerd authenticates plain text by network only)"
            : "any client without a mesh identity (Istio cannot tell plain-text clients apart)";
        var ambient = settings.Mesh == MeshKind.Istio && settings.Istio.Ambient && !(call.Methods.IsEmpty && call.Paths.IsEmpty)
            ? "; in ambient, plain text reaches the pod without passing a waypoint, so the methods and paths cannot be enforced and the call's ports are opened"
            : "";
        var prod = settings.IsProduction ? "; prod requires STRICT mTLS for every workload: inject the caller instead" : "";
        return $"'{callee.Name}' accepts plain text from '{caller.Name}' (inject: false) for {requests}: {who} can send these requests{ambient}{prod}";
    }
}
