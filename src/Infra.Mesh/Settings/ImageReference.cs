namespace Infra.Mesh.Settings;

/// <summary>An OCI image pinned by tag and/or digest.</summary>
public sealed record ImageReference(string Repository, string? Tag, string? Digest)
{
    public override string ToString() =>
        Repository + (Tag is null ? "" : $":{Tag}") + (Digest is null ? "" : $"@{Digest}");

    public ImageReference WithTag(string tag) => this with { Tag = tag, Digest = null };

    internal static ImageReference? Read(ConfigNode node, bool production)
    {
        if (node.RequiredText() is not { } text)
        {
            return null;
        }

        var match = Names.Image().Match(text);
        if (!match.Success)
        {
            node.Error($"'{text}' is not an image reference; expected registry/repository:tag or registry/repository@sha256:<digest>");
            return null;
        }

        var tag = match.Groups["tag"].Success ? match.Groups["tag"].Value : null;
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;
        if (tag is null && digest is null)
        {
            node.Error($"'{text}' has neither a tag nor a digest; pin the image (repository:1.2.3 or repository@sha256:...)");
            return null;
        }

        if (production && tag == "latest" && digest is null)
        {
            node.Error($"'{text}' uses the tag 'latest', which prod does not allow; pin a version or a digest");
            return null;
        }

        return new ImageReference(match.Groups["repo"].Value, tag, digest);
    }
}
