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

    public static ManifestFileItem Item(bool production) => new(
        $"gateway-api-{Version}-standard",
        $"https://github.com/kubernetes-sigs/gateway-api/releases/download/{Version}/standard-install.yaml")
    {
        // The CRDs hold every route of the cluster: never delete them with the stack in prod.
        Protect = production,
        RetainOnDelete = production,
    };
}
