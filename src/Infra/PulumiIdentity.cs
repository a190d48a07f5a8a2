using System.Collections.Immutable;
using Infra.Mesh.Planning;
using Pulumi;

namespace Infra;

/// <summary>
/// The type and name each plan item gets as a Pulumi resource. With the stack, the project and the parent's type they
/// form its URN, the identity Pulumi matches against the state: a changed URN is a new resource (created first, then
/// the old one deleted), so every part of it is kept free of versions and stages, and earlier identities declared in
/// <see cref="PlanItem.FormerIdentities"/> become aliases.
/// </summary>
public static class PulumiIdentity
{
    public const string ReleaseType = "kubernetes:helm.sh/v3:Release";
    public const string SecretType = "kubernetes:core/v1:Secret";
    public const string ConfigFileType = "kubernetes:yaml/v2:ConfigFile";
    public const string ConfigGroupType = "kubernetes:yaml/v2:ConfigGroup";

    /// <summary>The resource prefix of every stage's ConfigGroup: an object's name does not depend on its stage.</summary>
    public const string ObjectPrefix = "infra";

    /// <summary>What the item is called in Pulumi: a release by its release name, everything else by what it creates.</summary>
    public static ResourceIdentity Of(PlanItem item) => Identify(item, new FormerIdentity());

    /// <summary>The identities the item had before, from <see cref="PlanItem.FormerIdentities"/>.</summary>
    public static IEnumerable<ResourceIdentity> Former(PlanItem item) => item.FormerIdentities.Select(f => Identify(item, f));

    /// <summary>Aliases for a resource the program creates itself (a release, a Secret, a manifest file).</summary>
    public static List<Input<Alias>> Aliases(PlanItem item) =>
        [.. Former(item).Select(former => (Input<Alias>)new Alias { Type = former.Type, Name = former.Name })];

    /// <summary>
    /// The identity of an object inside a ConfigGroup, as pulumi-kubernetes v4.32.0 registers it
    /// (provider/pkg/provider/yaml/v2/yaml.go, <c>register</c>): type <c>kubernetes:&lt;group&gt;/&lt;version&gt;:&lt;Kind&gt;</c>
    /// (the core group spelled <c>core</c>, sdk/go/kubernetes/yaml/v2/kinds.go) and name
    /// <c>&lt;prefix&gt;:&lt;namespace&gt;/&lt;name&gt;</c>, or <c>&lt;prefix&gt;:&lt;name&gt;</c> for cluster-scoped objects.
    /// </summary>
    public static ResourceIdentity Object(string apiVersion, string kind, string? ns, string name) => new(
        $"kubernetes:{(apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion : "core/" + apiVersion)}:{kind}",
        $"{ObjectPrefix}:{(ns is null ? name : $"{ns}/{name}")}");

    /// <summary>
    /// A transform that gives the ConfigGroup's objects their aliases, or null when none has a former identity. The
    /// provider registers the objects, not this program, so a resource transform on the group is the one place their
    /// options can be set; it runs only for objects that were renamed, so other stacks need no transform support.
    /// </summary>
    public static ResourceTransform? ChildAliases(IEnumerable<ManifestItem> manifests)
    {
        var formers = manifests.Where(m => !m.FormerIdentities.IsEmpty).ToImmutableDictionary(Of, m => Former(m).ToList());
        if (formers.IsEmpty)
        {
            return null;
        }

        return (args, _) =>
        {
            if (!formers.TryGetValue(new ResourceIdentity(args.Type, args.Name), out var former))
            {
                return Task.FromResult<ResourceTransformResult?>(null);
            }

            var options = args.Options;
            options.Aliases.AddRange(former.Select(f => (Input<Alias>)new Alias { Type = f.Type, Name = f.Name }));
            return Task.FromResult<ResourceTransformResult?>(new ResourceTransformResult(args.Args, options));
        };
    }

    private static ResourceIdentity Identify(PlanItem item, FormerIdentity former) => item switch
    {
        HelmReleaseItem release => new(ReleaseType, former.Name ?? release.ReleaseName),
        SecretItem secret => new(SecretType, $"{former.Namespace ?? secret.Namespace}-{former.Name ?? secret.Name}"),
        ManifestFileItem file => new(ConfigFileType, former.Name ?? file.Name),
        ManifestItem manifest => Object(
            former.ApiVersion ?? manifest.Object.ApiVersion, former.Kind ?? manifest.Kind, former.Namespace ?? manifest.Namespace, former.Name ?? manifest.Name),
        _ => throw new ArgumentException($"No Pulumi identity for plan item {item.GetType().Name}", nameof(item)),
    };
}

/// <summary>A Pulumi resource's type token and name (the last two parts of its URN).</summary>
public sealed record ResourceIdentity(string Type, string Name);
