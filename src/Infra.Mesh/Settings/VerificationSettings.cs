namespace Infra.Mesh.Settings;

public sealed record VerificationSettings(bool Enabled)
{
    internal static VerificationSettings Read(ConfigNode node)
    {
        node.IsMapping("enabled");
        return new VerificationSettings(node["enabled"].Bool(true));
    }
}
