using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Istio.Resources;

// security.istio.io/v1: only the fields Infra sets.

public sealed class PeerAuthentication(V1ObjectMeta metadata, PeerAuthenticationSpec spec)
    : CustomResource<PeerAuthenticationSpec>(SecurityApi.ApiVersion, "PeerAuthentication", metadata, spec, IstioJson.Default);

/// <param name="Mtls">Null: inherited from the namespace or mesh-wide policy.</param>
/// <param name="Selector">Null: every workload of the namespace.</param>
/// <param name="PortLevelMtls">Per container port, overriding <paramref name="Mtls"/>; needs a <paramref name="Selector"/>.</param>
public sealed record PeerAuthenticationSpec(MutualTls? Mtls, PolicySelector? Selector = null, IReadOnlyDictionary<string, MutualTls>? PortLevelMtls = null);

/// <param name="Mode">STRICT (mTLS only) or PERMISSIVE (mTLS and plain text).</param>
public sealed record MutualTls(string Mode);

public sealed class AuthorizationPolicy(V1ObjectMeta metadata, AuthorizationPolicySpec spec)
    : CustomResource<AuthorizationPolicySpec>(SecurityApi.ApiVersion, "AuthorizationPolicy", metadata, spec, IstioJson.Default);

/// <summary>An empty spec (no selector, no action, no rules) allows nothing: Istio's namespace-wide default deny.</summary>
public sealed record AuthorizationPolicySpec(PolicySelector? Selector, string? Action, IReadOnlyList<Rule>? Rules)
{
    public static AuthorizationPolicySpec AllowNothing { get; } = new(null, null, null);

    /// <summary>
    /// Instead of <see cref="Selector"/> (never both): the waypoint Gateway or the Service the policy is enforced for.
    /// Only waypoints and gateways read such policies; ztunnel skips them (pilot/pkg/serviceregistry/ambient/authorization.go).
    /// </summary>
    public IReadOnlyList<PolicyTargetReference>? TargetRefs { get; init; }
}

/// <param name="Group">"" for a core Service, <c>gateway.networking.k8s.io</c> for a Gateway.</param>
public sealed record PolicyTargetReference(string Group, string Kind, string Name);

public sealed record PolicySelector(IReadOnlyDictionary<string, string> MatchLabels);

/// <param name="To">Null: any operation of the selected workload.</param>
public sealed record Rule(IReadOnlyList<RuleFrom> From, IReadOnlyList<RuleTo>? To);

public sealed record RuleFrom(Source Source);

/// <param name="Principals">SPIFFE identities without the scheme: <c>cluster.local/ns/NS/sa/SA</c>; null: any source.</param>
public sealed record Source(IReadOnlyList<string>? Principals)
{
    /// <summary>
    /// Sources whose principal matches none of these. <c>["*"]</c> matches exactly the requests without a peer identity
    /// (plain text): <c>*</c> becomes the presence match <c>.+</c> on the mTLS peer's principal
    /// (pilot/pkg/security/authz/model/matcher/string.go StringMatcherWithPrefix), which a plain-text connection never has.
    /// </summary>
    public IReadOnlyList<string>? NotPrincipals { get; init; }

    /// <summary>Clients without a mesh identity: the source of a call opened with <c>unauthenticated: true</c>.</summary>
    public static Source Unauthenticated { get; } = new((IReadOnlyList<string>?)null) { NotPrincipals = ["*"] };
}

public sealed record RuleTo(Operation Operation);

/// <param name="Ports">Target (container) ports, as strings.</param>
public sealed record Operation(IReadOnlyList<string>? Ports, IReadOnlyList<string>? Methods, IReadOnlyList<string>? Paths);

internal static class SecurityApi
{
    public const string ApiVersion = "security.istio.io/v1";
}
