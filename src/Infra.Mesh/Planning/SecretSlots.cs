namespace Infra.Mesh.Planning;

/// <summary>Where a secret value comes from. The plan never holds secret values, only these references.</summary>
public abstract record SecretSource
{
    /// <summary>What an offline render shows instead of the value.</summary>
    public abstract string Placeholder { get; }
}

/// <summary>An output of a generated-secret slot.</summary>
public sealed record GeneratedSecret(string SlotId, SlotOutput Output) : SecretSource
{
    public override string Placeholder => $"<generated:{SlotId}:{Output.ToString().ToLowerInvariant()}>";
}

/// <summary>A secret stack config key (<c>pulumi config set --secret infra:KEY</c>).</summary>
public sealed record ConfigSecret(string ConfigKey) : SecretSource
{
    public override string Placeholder => $"<secret:infra:{ConfigKey}>";
}

public enum SlotOutput
{
    /// <summary>A generated password or key.</summary>
    Value,

    /// <summary>A certificate in PEM.</summary>
    CertificatePem,

    /// <summary>A private key in PEM.</summary>
    PrivateKeyPem,
}

/// <summary>A secret the Pulumi program generates (Pulumi.Random, Pulumi.Tls) and the plan references.</summary>
public abstract record SecretSlot(string Id)
{
    public bool Protect { get; init; }
}

/// <summary>A random string (Pulumi.Random RandomPassword).</summary>
public sealed record RandomSecretSlot(string Id, int Length) : SecretSlot(Id);

/// <summary>A self-signed CA certificate, ECDSA P-256 (Pulumi.Tls PrivateKey + SelfSignedCert).</summary>
public sealed record CertificateAuthoritySlot(string Id, string CommonName, int ValidityHours) : SecretSlot(Id);

/// <summary>
/// An intermediate CA signed by <paramref name="IssuerSlotId"/>, ECDSA P-256 (Pulumi.Tls LocallySignedCert);
/// re-created on the first <c>pulumi up</c> within <paramref name="EarlyRenewalHours"/> of expiry.
/// </summary>
public sealed record IntermediateCertificateSlot(string Id, string CommonName, string IssuerSlotId, int ValidityHours, int EarlyRenewalHours)
    : SecretSlot(Id);
