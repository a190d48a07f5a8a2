using System.Collections.Immutable;
using Infra.Mesh.Planning;
using Infra.Testing.Support;
using Pulumi;
using Pulumi.Utilities;

namespace Infra.Tests;

/// <summary>
/// Resource identities are the state's keys: a URN that disappears means Pulumi deletes that resource and creates
/// another one (new first, so the create fails with AlreadyExists). Each stack's URNs from the mock run are committed
/// in <c>tests/Infra.Tests/Urns/&lt;stack&gt;.txt</c>; a change may only drop one when the plan declares it as a former
/// identity (an alias) of what replaces it.
/// </summary>
[Collection(PulumiRuns.Name)]
public class UrnSnapshotTests
{
    /// <summary>Set to <c>1</c> to rewrite the snapshots after a deliberate change (refused while a URN is dropped unaliased).</summary>
    public const string UpdateVariable = "INFRA_UPDATE_URNS";

    /// <summary>The repository's own stacks: the ones that are deployed, so the ones whose identities must hold.</summary>
    public static TheoryData<string> StackNames() => [.. Directory.GetFiles(Stacks.RepositoryDirectory, "Pulumi.*.yaml")
        .Select(f => Path.GetFileName(f)["Pulumi.".Length..^".yaml".Length]).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(StackNames))]
    public async Task Every_stack_keeps_the_urns_of_its_snapshot_or_aliases_them(string stack)
    {
        var run = await PulumiHarness.RunAsync(stack, Stacks.RepositoryDirectory);
        var current = await Urns.Of(run);
        var aliases = Urns.Aliases(run.Resources.OfType<MeshStack>().Single().Plan, stack);
        // A fingerprinted name (verification Jobs) changes on purpose with every plan change: snapshot it without.
        var suffixes = run.Resources.OfType<MeshStack>().Single().Plan.Stages.SelectMany(s => s.Items)
            .Select(i => i.FingerprintSuffix).OfType<string>().Distinct().ToList();
        current = current.Select(urn => suffixes.Aggregate(urn, (u, f) => u.EndsWith("-" + f, StringComparison.Ordinal) ? u[..^f.Length] + Urns.FingerprintPlaceholder : u))
            .ToImmutableSortedSet(StringComparer.Ordinal);
        var file = Path.Combine(Stacks.RepositoryDirectory, "tests", "Infra.Tests", "Urns", $"{stack}.txt");
        var snapshot = File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0).ToImmutableSortedSet(StringComparer.Ordinal) : [];

        var check = UrnCheck.Compare(snapshot, current, aliases);

        Assert.True(check.Unaliased.IsEmpty, check.Explain(stack));
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllLines(file, current);
        }
        else
        {
            Assert.True(check.Added.IsEmpty && check.Aliased.IsEmpty, check.Explain(stack));
        }
    }

    [Fact]
    public async Task Moving_an_object_to_another_namespace_without_an_alias_fails_the_check()
    {
        var snapshot = await Urns.Of(await PulumiHarness.RunAsync("dev"));
        using var files = new StackFiles();
        files.Replace("Pulumi.yaml", "namespace: payments", "namespace: billing");
        var run = await PulumiHarness.RunAsync("dev", files.Directory);

        var check = UrnCheck.Compare(snapshot, await Urns.Of(run), Urns.Aliases(run.Resources.OfType<MeshStack>().Single().Plan, "dev"));

        Assert.Contains("urn:pulumi:dev::infra::kubernetes:yaml/v2:ConfigGroup$kubernetes:apps/v1:Deployment::infra:payments/payments", check.Unaliased);
        Assert.Contains("urn:pulumi:dev::infra::kubernetes:yaml/v2:ConfigGroup$kubernetes:apps/v1:Deployment::infra:billing/payments", check.Added);
        Assert.Contains("FormerIdentities", check.Explain("dev"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_declared_former_identity_covers_the_dropped_urn()
    {
        var plan = Stacks.Plan("dev");
        var item = plan.Stages.SelectMany(s => s.Items).OfType<ManifestItem>().First(m => m.Kind == "Deployment");
        var renamed = item with { FormerIdentities = [new FormerIdentity { ApiVersion = "apps/v1beta2", Name = "old-name" }] };
        var formerUrn = $"urn:pulumi:dev::infra::kubernetes:yaml/v2:ConfigGroup$kubernetes:apps/v1beta2:Deployment::infra:{item.Namespace}/old-name";
        var currentUrn = $"urn:pulumi:dev::infra::kubernetes:yaml/v2:ConfigGroup$kubernetes:apps/v1:Deployment::infra:{item.Namespace}/{item.Name}";

        var aliases = Urns.Aliases([renamed], "dev");
        var check = UrnCheck.Compare([formerUrn], [currentUrn], aliases);

        Assert.Equal(currentUrn, aliases[formerUrn]);
        Assert.Empty(check.Unaliased);
        Assert.Equal(formerUrn, Assert.Single(check.Aliased));
        Assert.NotEmpty(UrnCheck.Compare([formerUrn], [currentUrn], Urns.Aliases([item], "dev")).Unaliased);
    }

    [Fact]
    public async Task The_programs_identities_match_what_the_mock_run_registered()
    {
        var run = await PulumiHarness.RunAsync("dev-linkerd");
        var plan = run.Resources.OfType<MeshStack>().Single().Plan;

        foreach (var item in plan.Stages.SelectMany(s => s.Items).Where(i => i is not ManifestItem))
        {
            var identity = PulumiIdentity.Of(item);
            Assert.Single(run.Registrations, r => r.Type == identity.Type && r.Name == identity.Name);
        }

        var current = await Urns.Of(run);
        foreach (var manifest in plan.Stages.SelectMany(s => s.Items).OfType<ManifestItem>())
        {
            var identity = PulumiIdentity.Of(manifest);
            Assert.Contains($"urn:pulumi:dev-linkerd::infra::{PulumiIdentity.ConfigGroupType}${identity.Type}::{identity.Name}", current);
        }
    }

    [Fact]
    public void Gateway_api_crds_are_named_without_their_version()
    {
        var file = Stacks.Plan("dev-linkerd").Stages.SelectMany(s => s.Items).OfType<ManifestFileItem>().Single();

        Assert.DoesNotContain(Infra.Mesh.Traffic.GatewayApi.GatewayApiCrds.Version, PulumiIdentity.Of(file).Name, StringComparison.Ordinal);
        Assert.DoesNotContain(Infra.Mesh.Traffic.GatewayApi.GatewayApiCrds.Version.TrimStart('v'), PulumiIdentity.Of(file).Name, StringComparison.Ordinal);
        Assert.Contains(Infra.Mesh.Traffic.GatewayApi.GatewayApiCrds.Version, file.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_renamed_object_gets_its_alias_through_the_config_groups_transform()
    {
        var item = Stacks.Plan("dev").Stages.SelectMany(s => s.Items).OfType<ManifestItem>().First(m => m.Kind == "Service");
        var renamed = item with { FormerIdentities = [new FormerIdentity { Name = "legacy" }] };
        var transform = PulumiIdentity.ChildAliases([renamed, item with { }]);
        var identity = PulumiIdentity.Of(renamed);

        Assert.Null(PulumiIdentity.ChildAliases([item]));
        var result = await transform!(new ResourceTransformArgs(identity.Name, identity.Type, true, ImmutableDictionary<string, object?>.Empty, new CustomResourceOptions()));
        var alias = await OutputUtilities.GetValueAsync(Assert.Single(result!.Value.Options.Aliases).ToOutput());
        Assert.Equal($"{PulumiIdentity.ObjectPrefix}:{item.Namespace}/legacy", await OutputUtilities.GetValueAsync(alias.Name!.ToOutput()));
        Assert.Null(await transform(new ResourceTransformArgs("infra:other/thing", identity.Type, true, ImmutableDictionary<string, object?>.Empty, new CustomResourceOptions())));
    }
}

/// <summary>URNs of a run as the Pulumi engine forms them, and the former URNs the plan's aliases stand for.</summary>
public static class Urns
{
    private const string RootStackPrefix = "pulumi:pulumi:Stack$";

    /// <summary>Stands for a plan fingerprint at the end of a name in the snapshots.</summary>
    public const string FingerprintPlaceholder = "<fingerprint>";

    /// <summary>
    /// Every resource the program registered, plus the objects each ConfigGroup registers in the provider (which a mock
    /// run never sees). The engine leaves the root stack's type out of its children's URNs (pulumi/pulumi
    /// pkg/resource/deploy/deployment.go, <c>generateURN</c>); the mock monitor does not, so it is stripped here. A
    /// ConfigGroup's object is named <c>prefix:namespace/name</c> and typed <c>kubernetes:group/version:Kind</c>
    /// (pulumi-kubernetes v4.32.0 provider/pkg/provider/yaml/v2/yaml.go).
    /// </summary>
    public static async Task<ImmutableSortedSet<string>> Of(PulumiHarness run)
    {
        var urns = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var resource in run.Resources.Where(r => r is not Stack))
        {
            urns.Add((await OutputUtilities.GetValueAsync(resource.Urn)).Replace("::" + RootStackPrefix, "::", StringComparison.Ordinal));
        }

        foreach (var group in run.Registrations.Where(r => r.Type == PulumiIdentity.ConfigGroupType))
        {
            var prefix = (string)group.Inputs["resourcePrefix"];
            foreach (var obj in ((IEnumerable<object>)group.Inputs["objs"]).Cast<ImmutableDictionary<string, object>>())
            {
                var apiVersion = (string)obj["apiVersion"];
                var metadata = (ImmutableDictionary<string, object>)obj["metadata"];
                var name = metadata.TryGetValue("namespace", out var ns) ? $"{ns}/{metadata["name"]}" : (string)metadata["name"];
                var type = $"kubernetes:{(apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion : "core/" + apiVersion)}:{obj["kind"]}";
                urns.Add($"urn:pulumi:{run.Stack}::infra::{PulumiIdentity.ConfigGroupType}${type}::{prefix}:{name}");
            }
        }

        return urns.ToImmutable();
    }

    /// <summary>Former URN -> current URN for every former identity declared in the plan.</summary>
    public static ImmutableDictionary<string, string> Aliases(MeshPlan plan, string stack) =>
        Aliases(plan.Stages.SelectMany(s => s.Items), stack);

    public static ImmutableDictionary<string, string> Aliases(IEnumerable<PlanItem> items, string stack) =>
        items.SelectMany(item => PulumiIdentity.Former(item).Select(former => (Former: Urn(stack, item, former), Current: Urn(stack, item, PulumiIdentity.Of(item)))))
            .ToImmutableDictionary(p => p.Former, p => p.Current, StringComparer.Ordinal);

    private static string Urn(string stack, PlanItem item, ResourceIdentity identity) =>
        $"urn:pulumi:{stack}::infra::{(item is ManifestItem ? PulumiIdentity.ConfigGroupType + "$" : "")}{identity.Type}::{identity.Name}";
}

/// <summary>A snapshot compared with a run: what is new, what is gone but aliased, and what is gone unaliased.</summary>
public sealed record UrnCheck(ImmutableArray<string> Added, ImmutableArray<string> Aliased, ImmutableArray<string> Unaliased)
{
    public static UrnCheck Compare(IReadOnlyCollection<string> snapshot, IReadOnlyCollection<string> current, IReadOnlyDictionary<string, string> aliases)
    {
        var now = current.ToHashSet(StringComparer.Ordinal);
        var before = snapshot.ToHashSet(StringComparer.Ordinal);
        var gone = snapshot.Where(u => !now.Contains(u)).ToList();
        return new UrnCheck(
            [.. current.Where(u => !before.Contains(u)).Order(StringComparer.Ordinal)],
            [.. gone.Where(u => aliases.TryGetValue(u, out var to) && now.Contains(to)).Order(StringComparer.Ordinal)],
            [.. gone.Where(u => !aliases.TryGetValue(u, out var to) || !now.Contains(to)).Order(StringComparer.Ordinal)]);
    }

    public string Explain(string stack) =>
        $"Stack '{stack}': URNs differ from tests/Infra.Tests/Urns/{stack}.txt." +
        (Unaliased.IsEmpty ? "" :
            $"{Environment.NewLine}Dropped without an alias (Pulumi would create the replacement first and fail with AlreadyExists):{Environment.NewLine}  " +
            string.Join(Environment.NewLine + "  ", Unaliased) +
            $"{Environment.NewLine}Declare the old identity on the item that replaces it (PlanItem.FormerIdentities, see README 'Upgrades that keep identities'), " +
            "or, for a deliberate removal, delete the line from the snapshot.") +
        (Added.IsEmpty ? "" : $"{Environment.NewLine}New:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", Added)) +
        (Aliased.IsEmpty ? "" : $"{Environment.NewLine}Dropped, aliased:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", Aliased)) +
        $"{Environment.NewLine}After reviewing, rewrite the snapshot: {UrnSnapshotTests.UpdateVariable}=1 dotnet test tests/Infra.Tests --filter UrnSnapshot";
}
