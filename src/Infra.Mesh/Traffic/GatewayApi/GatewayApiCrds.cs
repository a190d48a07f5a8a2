using Infra.Mesh.Planning;

namespace Infra.Mesh.Traffic.GatewayApi;

/// <summary>
/// The Gateway API standard-channel CRDs, the release both meshes are built and tested with. Installed from the
/// release's own <c>standard-install.yaml</c> (eight CRDs and the ValidatingAdmissionPolicy that guards against
/// installing experimental CRDs over them), never from a mesh chart's bundled copy, which lags and is experimental.
/// </summary>
public static class GatewayApiCrds
{
    public const string Version = "v1.5.1";

    /// <summary>
    /// The manifest file's name, which also prefixes every CRD's Pulumi name. It carries no version: a version bump
    /// changes only the file's URL, so Pulumi updates the CRDs in place instead of creating renamed copies beside them.
    /// </summary>
    public const string Name = "gateway-api-standard";

    public static ManifestFileItem Item(bool production) => new(
        Name,
        $"https://github.com/kubernetes-sigs/gateway-api/releases/download/{Version}/standard-install.yaml")
    {
        // The CRDs hold every route of the cluster: never delete them with the stack in prod.
        Protect = production,
        RetainOnDelete = production,
    };
}
