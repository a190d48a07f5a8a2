using Infra.Mesh.Planning;
using Pulumi;
using Pulumi.Random;
using Pulumi.Tls;
using Pulumi.Tls.Inputs;
using Config = Pulumi.Config;

namespace Infra;

/// <summary>
/// Fills the plan's generated-secret slots with Pulumi.Random and Pulumi.Tls resources. Every output handed back is a
/// Pulumi secret, so it is encrypted in the state and never printed.
/// </summary>
public sealed class SecretSlots
{
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Config _config;

    public SecretSlots(IEnumerable<SecretSlot> slots, Config config)
    {
        _config = config;
        foreach (var slot in slots)
        {
            _slots[slot.Id] = Create(slot);
        }
    }

    private sealed record Slot(
        Output<string>? Value, Output<string>? CertificatePem, Output<string>? PrivateKeyPem, IReadOnlyList<Resource> Resources, ResourceOptions Options);

    /// <summary>The resources behind every slot, with the options they were given: protection is checked in tests.</summary>
    public IReadOnlyList<CreatedResource> Created =>
        [.. _slots.SelectMany(s => s.Value.Resources.Select(r => new CreatedResource(s.Key, r, s.Value.Options, [])))];

    public Output<string> Resolve(SecretSource source) => source switch
    {
        GeneratedSecret generated => Output.CreateSecret(generated.Output switch
        {
            SlotOutput.CertificatePem => _slots[generated.SlotId].CertificatePem,
            SlotOutput.PrivateKeyPem => _slots[generated.SlotId].PrivateKeyPem,
            _ => _slots[generated.SlotId].Value,
        } ?? throw new InvalidOperationException($"Secret slot '{generated.SlotId}' has no {generated.Output}.")),
        ConfigSecret config => _config.RequireSecret(config.ConfigKey),
        _ => throw new ArgumentException($"Unknown secret source {source.GetType().Name}", nameof(source)),
    };

    private Slot Create(SecretSlot slot)
    {
        var options = new CustomResourceOptions { Protect = slot.Protect };
        switch (slot)
        {
            case RandomSecretSlot random:
            {
                var password = new RandomPassword(random.Id, new RandomPasswordArgs { Length = random.Length, Special = false }, options);
                return new Slot(password.Result, null, null, [password], options);
            }

            case CertificateAuthoritySlot ca:
            {
                var key = EcdsaKey(ca.Id, options);
                var cert = new SelfSignedCert(ca.Id, new SelfSignedCertArgs
                {
                    PrivateKeyPem = key.PrivateKeyPem,
                    IsCaCertificate = true,
                    ValidityPeriodHours = ca.ValidityHours,
                    AllowedUses = { "cert_signing", "crl_signing" },
                    Subject = new SelfSignedCertSubjectArgs { CommonName = ca.CommonName },
                }, options);
                return new Slot(null, cert.CertPem, key.PrivateKeyPem, [key, cert], options);
            }

            case IntermediateCertificateSlot intermediate:
            {
                var issuer = _slots[intermediate.IssuerSlotId];
                var key = EcdsaKey(intermediate.Id, options);
                var request = new CertRequest(intermediate.Id, new CertRequestArgs
                {
                    PrivateKeyPem = key.PrivateKeyPem,
                    Subject = new CertRequestSubjectArgs { CommonName = intermediate.CommonName },
                }, options);
                var cert = new LocallySignedCert(intermediate.Id, new LocallySignedCertArgs
                {
                    CertRequestPem = request.CertRequestPem,
                    CaCertPem = issuer.CertificatePem ?? throw NotACertificateAuthority(intermediate),
                    CaPrivateKeyPem = issuer.PrivateKeyPem ?? throw NotACertificateAuthority(intermediate),
                    IsCaCertificate = true,
                    ValidityPeriodHours = intermediate.ValidityHours,
                    // Within this window of expiry the next `pulumi up` replaces the certificate: rotation by routine deploys.
                    EarlyRenewalHours = intermediate.EarlyRenewalHours,
                    AllowedUses = { "cert_signing", "crl_signing", "server_auth", "client_auth" },
                }, options);
                return new Slot(null, cert.CertPem, key.PrivateKeyPem, [key, request, cert], options);
            }

            default:
                throw new ArgumentException($"Unknown secret slot {slot.GetType().Name}", nameof(slot));
        }
    }

    private static InvalidOperationException NotACertificateAuthority(IntermediateCertificateSlot slot) =>
        new($"Secret slot '{slot.Id}' is signed by '{slot.IssuerSlotId}', which is not a certificate.");

    private static PrivateKey EcdsaKey(string id, CustomResourceOptions options) =>
        new($"{id}-key", new PrivateKeyArgs { Algorithm = "ECDSA", EcdsaCurve = "P256" }, options);
}
