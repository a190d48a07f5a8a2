using System.Collections.Immutable;
using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Linkerd.Resources;

/// <summary>A cert-manager Issuer (<c>cert-manager.io/v1</c>) that signs with the CA key pair in a Secret.</summary>
public sealed class Issuer(V1ObjectMeta metadata, IssuerSpec spec)
    : CustomResource<IssuerSpec>(CertManagerGroup.ApiVersion, "Issuer", metadata, spec, LinkerdJson.Default);

public sealed record IssuerSpec(CaIssuer Ca);

/// <param name="SecretName">A <c>kubernetes.io/tls</c> Secret holding the CA's <c>tls.crt</c> and <c>tls.key</c>.</param>
public sealed record CaIssuer(string SecretName);

/// <summary>A cert-manager Certificate (<c>cert-manager.io/v1</c>): kept issued and renewed into <see cref="CertificateSpec.SecretName"/>.</summary>
public sealed class Certificate(V1ObjectMeta metadata, CertificateSpec spec)
    : CustomResource<CertificateSpec>(CertManagerGroup.ApiVersion, "Certificate", metadata, spec, LinkerdJson.Default);

/// <param name="Duration">A Go duration, e.g. <c>2160h</c>.</param>
/// <param name="RenewBefore">A Go duration before expiry at which cert-manager re-issues.</param>
public sealed record CertificateSpec(
    string SecretName,
    string CommonName,
    ImmutableArray<string> DnsNames,
    bool IsCA,
    string Duration,
    string RenewBefore,
    CertificatePrivateKey PrivateKey,
    ImmutableArray<string> Usages,
    IssuerReference IssuerRef);

/// <param name="RotationPolicy"><c>Always</c>: a new key with every issuance.</param>
public sealed record CertificatePrivateKey(string Algorithm, int Size, string RotationPolicy);

public sealed record IssuerReference(string Name, string Kind, string Group);

public static class CertManagerGroup
{
    public const string ApiVersion = "cert-manager.io/v1";
}
