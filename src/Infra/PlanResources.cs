using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Infra.Mesh.Planning;
using Pulumi;
using Pulumi.Kubernetes;
using Pulumi.Kubernetes.Helm.V3;
using Pulumi.Kubernetes.Types.Inputs.Helm.V3;
using Pulumi.Kubernetes.Types.Inputs.Meta.V1;
using Pulumi.Kubernetes.Types.Inputs.Yaml.V2;
using Pulumi.Kubernetes.Yaml.V2;
using CoreV1 = Pulumi.Kubernetes.Core.V1;
using SecretArgs = Pulumi.Kubernetes.Types.Inputs.Core.V1.SecretArgs;

namespace Infra;

/// <summary>
/// Turns the plan into Pulumi resources with one generic mapping per item type: a Helm release per
/// <see cref="HelmReleaseItem"/>, a Secret per <see cref="SecretItem"/>, and one ConfigGroup per stage for its objects.
/// Each stage depends on everything of the stage before it, so CRDs, the control plane and the injector are ready
/// before anything that needs them.
/// </summary>
public sealed class PlanResources(MeshPlan plan, Provider provider, SecretSlots secrets)
{
    /// <summary>Creates every resource of the plan; returns them with the options they were given, in creation order.</summary>
    public IReadOnlyList<CreatedResource> Create()
    {
        var all = new List<CreatedResource>();
        var byId = new Dictionary<string, Resource>(StringComparer.Ordinal);
        IReadOnlyList<Resource> previousStage = [];
        foreach (var stage in plan.Stages.Where(s => !s.Items.IsEmpty))
        {
            var created = new StageResources(this, stage, previousStage, byId).Create();
            all.AddRange(created);
            previousStage = [.. created.Select(c => c.Resource)];
        }

        return all;
    }

    /// <summary>
    /// One stage's resources, created in dependency order: an item waits for the whole stage before it and for the
    /// items it names, also within its own stage (a release that needs a Secret or a CRD file planned beside it).
    /// The stage's objects share one ConfigGroup, which waits for the stage's Secrets and manifest files.
    /// </summary>
    private sealed class StageResources(PlanResources owner, PlanStage stage, IReadOnlyList<Resource> previousStage, Dictionary<string, Resource> byId)
    {
        private readonly List<CreatedResource> _created = [];
        private readonly HashSet<string> _visiting = new(StringComparer.Ordinal);
        private readonly List<ManifestItem> _manifests = [.. stage.Items.OfType<ManifestItem>()];

        // The stage's items by id, each id formatted once: lookups below cost the item's own dependencies, not the stage.
        private readonly Dictionary<string, PlanItem> _items = stage.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);

        public List<CreatedResource> Create()
        {
            foreach (var item in stage.Items)
            {
                Ensure(item);
            }

            return _created;
        }

        private void Ensure(PlanItem item)
        {
            var key = item is ManifestItem ? GroupId(stage) : item.Id;
            if (byId.ContainsKey(item.Id))
            {
                return;
            }

            if (!_visiting.Add(key))
            {
                throw new InvalidOperationException($"Plan items of stage '{stage.Name}' depend on each other in a cycle through '{key}'.");
            }

            IReadOnlyList<string> needs = item is ManifestItem ? GroupNeeds() : item.DependsOn;
            foreach (var id in needs)
            {
                if (_items.GetValueOrDefault(id) is { } sameStage)
                {
                    Ensure(sameStage);
                }
            }

            var dependsOn = previousStage.Concat(needs.Select(Resolve)).Distinct().ToList();
            var created = item switch
            {
                HelmReleaseItem release => owner.Release(release, dependsOn),
                SecretItem secret => owner.Secret(secret, dependsOn),
                ManifestFileItem file => owner.File(file, dependsOn),
                ManifestItem => owner.Objects(stage, _manifests, dependsOn),
                _ => throw new ArgumentException($"No Pulumi mapping for plan item {item.GetType().Name}", nameof(item)),
            };
            _created.Add(created);
            foreach (var id in item is ManifestItem ? _items.Where(i => i.Value is ManifestItem).Select(i => i.Key) : [item.Id])
            {
                byId[id] = created.Resource;
            }
        }

        /// <summary>Objects may reference the stage's Secrets (env from secretKeyRef) and kinds its manifest files define.</summary>
        private List<string> GroupNeeds() =>
        [
            .. stage.Items.Where(i => i is SecretItem or ManifestFileItem).Select(i => i.Id),
            .. _manifests.SelectMany(m => m.DependsOn).Where(id => _items.GetValueOrDefault(id) is not ManifestItem).Distinct(StringComparer.Ordinal),
        ];

        private Resource Resolve(string id) =>
            byId.TryGetValue(id, out var resource)
                ? resource
                : throw new InvalidOperationException($"Plan item '{id}' is needed in stage '{stage.Name}' but is planned in a later stage.");
    }

    /// <summary>The id of a stage's ConfigGroup, which holds all of its objects.</summary>
    private static string GroupId(PlanStage stage) => $"stage/{stage.Name}";

    private CreatedResource Release(HelmReleaseItem release, List<Resource> dependsOn)
    {
        var options = new CustomResourceOptions
        {
            Provider = provider,
            DependsOn = dependsOn,
            Protect = release.Protect,
            RetainOnDelete = release.RetainOnDelete,
            // The provider replaces a release whose name or namespace changes (forceNewFields ".name", ".namespace" in
            // pulumi-kubernetes v4.32.0 provider/pkg/provider/helm_release.go). Created first, the new release would
            // try to own the old one's cluster-scoped objects (CRDs, webhooks, ClusterRoles) and Helm would refuse.
            DeleteBeforeReplace = true,
            Aliases = PulumiIdentity.Aliases(release),
        };
        return new CreatedResource(release.Id, new Release(PulumiIdentity.Of(release).Name, Args(release), options), options, dependsOn);
    }

    private ReleaseArgs Args(HelmReleaseItem release) => new()
    {
        Name = release.ReleaseName,
        Chart = release.Chart,
        Version = release.Version,
        Namespace = release.Namespace,
        CreateNamespace = release.CreateNamespace,
        RepositoryOpts = new RepositoryOptsArgs { Repo = release.Repository },
        Values = Values(release),
        // A failed upgrade rolls back instead of leaving a half-upgraded control plane.
        Atomic = true,
        CleanupOnFail = true,
        Timeout = release.TimeoutSeconds,
        MaxHistory = 10,
    };

    /// <summary>Plain values as they are; values with secrets become one secret output, so Pulumi encrypts all of them.</summary>
    public Output<ImmutableDictionary<string, object>> Values(HelmReleaseItem release)
    {
        if (release.SecretValues.IsEmpty)
        {
            return Output.Create(PlainValues.Of(release.Values).ToImmutableDictionary());
        }

        var sources = release.SecretValues.Select(v => v.Source).Distinct().ToList();
        return Output.All(sources.Select(secrets.Resolve)).Apply(resolved =>
        {
            var values = ObjectJson.Values(release, source => JsonValue.Create(resolved[sources.IndexOf(source)]));
            return PlainValues.Of(values).ToImmutableDictionary();
        });
    }

    private CreatedResource Secret(SecretItem secret, List<Resource> dependsOn)
    {
        var data = new InputMap<string>();
        foreach (var entry in secret.Entries)
        {
            data.Add(entry.Key, secrets.Resolve(entry.Source));
        }

        var options = new CustomResourceOptions { Provider = provider, DependsOn = dependsOn, Aliases = PulumiIdentity.Aliases(secret) };
        return new CreatedResource(secret.Id, new CoreV1.Secret(PulumiIdentity.Of(secret).Name, new SecretArgs
        {
            Metadata = new ObjectMetaArgs { Name = secret.Name, Namespace = secret.Namespace, Labels = secret.Labels.ToDictionary() },
            Type = secret.Type,
            StringData = data,
        }, options), options, dependsOn);
    }

    private CreatedResource File(ManifestFileItem file, List<Resource> dependsOn)
    {
        var options = new ComponentResourceOptions
        {
            Providers = { provider },
            DependsOn = dependsOn,
            Protect = file.Protect,
            RetainOnDelete = file.RetainOnDelete,
            Aliases = PulumiIdentity.Aliases(file),
        };
        if (file.Protect || file.RetainOnDelete)
        {
            options.ResourceTransforms.Add(KeepChildren(file.Protect, file.RetainOnDelete));
        }

        return new CreatedResource(file.Id, new ConfigFile(PulumiIdentity.Of(file).Name, new ConfigFileArgs { File = file.Url }, options), options, dependsOn);
    }

    /// <summary>
    /// Gives each object of a manifest file the file's protection and retention itself. The options on the component
    /// reach its objects only through the engine: the .NET SDK sends them (Deployment_RegisterResource.cs), the engine
    /// ignores them on the component (pulumi/pulumi pkg/resource/deploy/source_eval.go, checkComponentOption) and hands
    /// them to children only since v3.158.0 (inheritFromParent, pulumi/pulumi#18956). Set per object, CRDs stay put on
    /// `pulumi destroy` whatever CLI runs it (transforms need v3.107.0 or newer, pulumi/pulumi#15290; the SDK refuses older ones).
    /// </summary>
    public static ResourceTransform KeepChildren(bool protect, bool retainOnDelete) => (args, _) =>
    {
        var options = args.Options;
        options.Protect = protect || (options.Protect ?? false);
        options.RetainOnDelete = retainOnDelete || (options.RetainOnDelete ?? false);
        return Task.FromResult<ResourceTransformResult?>(new ResourceTransformResult(args.Args, options));
    };

    private CreatedResource Objects(PlanStage stage, List<ManifestItem> manifests, List<Resource> dependsOn)
    {
        object[] objs = [.. manifests.Select(m => PlainValues.Of(JsonObject.Create(m.Json)!))];
        var options = new ComponentResourceOptions
        {
            Providers = { provider },
            DependsOn = dependsOn,
            Protect = manifests.Any(m => m.Protect),
            RetainOnDelete = manifests.Any(m => m.RetainOnDelete),
            ResourceTransforms = IgnoreChangesTransforms(manifests),
        };
        if (PulumiIdentity.ChildAliases(manifests) is { } aliases)
        {
            options.ResourceTransforms.Add(aliases);
        }

        // Every stage's objects share one resource prefix, so an object's Pulumi name is `infra:<namespace>/<name>`
        // whatever its stage: moving it to another stage keeps its URN.
        var args = new ConfigGroupArgs { Objs = objs, ResourcePrefix = PulumiIdentity.ObjectPrefix };
        return new CreatedResource(GroupId(stage), new ConfigGroup(stage.Name, args, options), options, dependsOn);
    }

    /// <summary>
    /// The plan's <see cref="ManifestItem.IgnoreChanges"/> for objects inside a ConfigGroup. The group (a component
    /// implemented by the Kubernetes provider) registers each object as a child resource, and a resource's transforms run
    /// for every child it has, those of packaged components included: a transform on the group that matches the child's
    /// type token and metadata adds <c>ignoreChanges</c> to exactly that object.
    /// </summary>
    public static List<ResourceTransform> IgnoreChangesTransforms(IEnumerable<ManifestItem> manifests)
    {
        var ignored = manifests.Where(m => !m.IgnoreChanges.IsEmpty)
            .ToDictionary(m => (TypeToken(m.Object.ApiVersion, m.Kind), m.Namespace, (string?)m.Name), m => m.IgnoreChanges);
        if (ignored.Count == 0)
        {
            return [];
        }

        return
        [
            (args, _) =>
            {
                var metadata = Field(args.Args, "metadata");
                var key = (args.Type, Field(metadata, "namespace") as string, Field(metadata, "name") as string);
                if (!args.Custom || !ignored.TryGetValue(key, out var paths))
                {
                    return Task.FromResult<ResourceTransformResult?>(null);
                }

                var options = CustomResourceOptions.Merge(
                    args.Options as CustomResourceOptions ?? new CustomResourceOptions(),
                    new CustomResourceOptions { IgnoreChanges = [.. paths] });
                return Task.FromResult<ResourceTransformResult?>(new ResourceTransformResult(args.Args, options));
            },
        ];
    }

    /// <summary>The Pulumi type token of a Kubernetes kind: <c>kubernetes:apps/v1:Deployment</c>, <c>kubernetes:core/v1:Service</c>.</summary>
    public static string TypeToken(string apiVersion, string kind) =>
        $"kubernetes:{(apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion : "core/" + apiVersion)}:{kind}";

    private static object? Field(object? value, string key) => value switch
    {
        IReadOnlyDictionary<string, object?> map => map.GetValueOrDefault(key),
        IDictionary<string, object?> map => map.TryGetValue(key, out var found) ? found : null,
        _ => null,
    };
}

/// <summary>A resource the program created for a plan item (or a stage's objects), with the options and dependencies it was given.</summary>
public sealed record CreatedResource(string ItemId, Resource Resource, ResourceOptions Options, IReadOnlyList<Resource> DependsOn);
