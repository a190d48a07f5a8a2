using System.Collections.Immutable;
using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Linkerd.Resources;

/// <summary>
/// A Linkerd AuthorizationPolicy (<c>policy.linkerd.io/v1alpha1</c>): lets clients that satisfy ALL the referenced
/// authentications reach the target (a Server, or an HTTPRoute whose parent is a Server).
/// </summary>
public sealed class AuthorizationPolicy(V1ObjectMeta metadata, AuthorizationPolicySpec spec)
    : CustomResource<AuthorizationPolicySpec>(LinkerdPolicy.Group + "/v1alpha1", "AuthorizationPolicy", metadata, spec, LinkerdJson.Default);

public sealed record AuthorizationPolicySpec(PolicyTargetReference TargetRef, ImmutableArray<AuthenticationReference> RequiredAuthenticationRefs);

public sealed record PolicyTargetReference(string Group, string Kind, string Name);

/// <param name="Group">"" is the core API group (a ServiceAccount).</param>
/// <param name="Namespace">Null: the policy's own namespace.</param>
public sealed record AuthenticationReference(string Group, string Kind, string Name, string? Namespace = null)
{
    /// <summary>Clients presenting the mTLS identity of this service account.</summary>
    public static AuthenticationReference ServiceAccount(string name, string ns) => new("", "ServiceAccount", name, ns);
}

/// <summary>
/// A Linkerd MeshTLSAuthentication (<c>policy.linkerd.io/v1alpha1</c>): clients whose mTLS identity is ANY of the
/// referenced service accounts.
/// </summary>
public sealed class MeshTlsAuthentication(V1ObjectMeta metadata, MeshTlsAuthenticationSpec spec)
    : CustomResource<MeshTlsAuthenticationSpec>(LinkerdPolicy.Group + "/v1alpha1", "MeshTLSAuthentication", metadata, spec, LinkerdJson.Default);

public sealed record MeshTlsAuthenticationSpec(ImmutableArray<IdentityReference> IdentityRefs);

/// <summary>A workload identity; with <c>Kind</c> ServiceAccount, the identity every pod running as that account presents.</summary>
public sealed record IdentityReference(string Kind, string Name, string Namespace)
{
    public static IdentityReference ServiceAccount(string name, string ns) => new("ServiceAccount", name, ns);
}

/// <summary>A Linkerd NetworkAuthentication (<c>policy.linkerd.io/v1alpha1</c>): clients from ANY of these networks, meshed or not.</summary>
public sealed class NetworkAuthentication(V1ObjectMeta metadata, NetworkAuthenticationSpec spec)
    : CustomResource<NetworkAuthenticationSpec>(LinkerdPolicy.Group + "/v1alpha1", "NetworkAuthentication", metadata, spec, LinkerdJson.Default);

public sealed record NetworkAuthenticationSpec(ImmutableArray<AuthorizedNetwork> Networks);

public sealed record AuthorizedNetwork(string Cidr);
