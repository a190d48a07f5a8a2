namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA101. A pod without a proxy (<c>inject: false</c>) sends plain text with no identity. Both meshes authorize a
/// meshed callee's declared callers by identity only: an Istio ALLOW rule on <c>source.principals</c> does not match a
/// plain-text request (403 "RBAC: access denied" under PERMISSIVE, the connection is reset under STRICT), and a
/// Linkerd Server with <c>accessPolicy: deny</c> admits only the MeshTLSAuthentication's identities (403).
/// </summary>
public sealed class IdentityRule : ISettingsRule
{
    public void Check(RuleContext context)
    {
        foreach (var caller in context.Settings.Services.Where(s => !s.Injected))
        {
            foreach (var call in caller.Calls)
            {
                if (context.ServicesByName[call.Service] is { Injected: true } callee)
                {
                    context.Report(RuleCatalog.UninjectedCaller, context.Call(caller, callee.Name),
                        $"'{caller.Name}' has inject: false, so its requests carry no mesh identity, and '{callee.Name}' admits only "
                        + "its declared callers' identities: every call would be denied; inject the caller (remove inject: false)");
                }
            }
        }
    }
}
