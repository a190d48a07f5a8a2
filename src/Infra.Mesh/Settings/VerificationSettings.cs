namespace Infra.Mesh.Settings;

/// <summary>
/// The in-cluster checks after each deploy (see <c>Verification/VerificationPlanner</c>).
/// </summary>
/// <param name="Enabled">Plan the verification Jobs at all.</param>
/// <param name="Image">The checks' image: any image with <c>sh</c>, <c>curl</c>, <c>grep</c>, <c>sed</c> and <c>tr</c> that runs as a non-root user (a mirror in a private registry).</param>
/// <param name="Path">
/// The side-effect-free request every check sends: <c>GET</c> on this path of the callee's HTTP port. Authorization
/// lets every declared caller send it (and nobody else); the application answers it without running a business
/// operation (any answer below 500, a 404 included, proves the edge) and names its version in
/// <see cref="VersionHeader"/>, which canary checks count.
/// </param>
/// <param name="CanaryRequests">Requests per canary split check (20..10000); the tolerance follows from it.</param>
public sealed record VerificationSettings(bool Enabled, string Image, string Path, int CanaryRequests)
{
    public const string DefaultImage = "docker.io/curlimages/curl:8.11.1";
    public const string DefaultPath = "/mesh-verify";
    public const int DefaultCanaryRequests = 200;

    /// <summary>The response header a service's answer on <see cref="Path"/> names its version in (<c>SERVICE_VERSION</c>: stable or canary).</summary>
    public const string VersionHeader = "x-service-version";

    internal static VerificationSettings Read(ConfigNode node, bool production)
    {
        node.IsMapping("enabled", "image", "path", "canaryRequests");
        var image = node["image"].Exists ? ImageReference.Read(node["image"], production) : null;
        var path = node["path"].Matching(Names.HttpPath(), "an HTTP path such as /mesh-verify", DefaultPath);
        if (path.EndsWith('*'))
        {
            node["path"].Error($"'{path}' is a prefix; the verification request needs one exact path such as /mesh-verify");
        }

        return new VerificationSettings(
            node["enabled"].Bool(true),
            image?.ToString() ?? DefaultImage,
            path,
            node["canaryRequests"].WholeNumber(DefaultCanaryRequests, 20, 10_000));
    }
}
