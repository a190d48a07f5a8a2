using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Infra.Mesh.Planning;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Conformance;

/// <summary>
/// README "Going to production" says what the platform team must do beside <c>pulumi up</c>; these tests hold it to
/// the plans, so the page cannot drift from what the stacks install: every chart that pulls images has a row naming
/// the value that moves them to a private registry (a key the pinned chart declares), the ingress Secret and namespace
/// are the settings' defaults, the import example names a real release, and the Linkerd upgrade order is the plan's.
/// </summary>
public partial class GoingToProductionTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(Stacks.RepositoryDirectory, "README.md"));

    private static readonly Lazy<IReadOnlyList<HelmReleaseItem>> Releases = new(() =>
    [
        .. Stacks.Everywhere.Select(row => ((string)row[0], (string)row[1]))
            .SelectMany(s => RenderConformanceTests.Plan(s.Item1, s.Item2).Releases)
            .DistinctBy(r => (r.Repository, r.Chart)),
    ]);

    private static string Section(string heading)
    {
        var start = Readme.IndexOf($"\n## {heading}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README has no section '## {heading}'");
        var end = Readme.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        return Readme[start..(end < 0 ? Readme.Length : end)];
    }

    /// <summary>The private-registry table: chart name (first cell, in backticks) to the keys of its last cell.</summary>
    private static Dictionary<string, string[]> RegistryRows() =>
        Section("Going to production").Split('\n')
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Trim().Trim('|').Split(" | "))
            .ToDictionary(cells => Backticked().Match(cells[0]).Groups[1].Value, cells => Backticked().Matches(cells[^1]).Select(m => m.Groups[1].Value).ToArray());

    [Fact]
    public void Every_chart_that_pulls_images_has_a_registry_row_whose_keys_the_chart_declares()
    {
        var rows = RegistryRows();
        var checkedCharts = 0;
        foreach (var release in Releases.Value)
        {
            if (RenderConformanceTests.Chart(release) is not { } chart || !chart.DeclaresImages)
            {
                continue;
            }

            checkedCharts++;
            Assert.True(rows.TryGetValue(release.Chart, out var keys), $"README 'Private registries' has no row for chart `{release.Chart}` ({release.Repository})");
            Assert.NotEmpty(keys);
            foreach (var key in keys)
            {
                Assert.True(chart.UnknownKeys(AtPath(key)).Count == 0, $"chart {release.Chart} {release.Version} declares no value `{key}`");
            }
        }

        Assert.True(checkedCharts >= 8, $"only {checkedCharts} charts with images in the plans");
    }

    [Fact]
    public void A_key_the_chart_does_not_declare_is_caught()
    {
        var istiod = Releases.Value.First(r => r.Chart == "istiod");

        Assert.NotEmpty(RenderConformanceTests.Chart(istiod)!.UnknownKeys(AtPath("global.registry")));
        Assert.Empty(RenderConformanceTests.Chart(istiod)!.UnknownKeys(AtPath("global.hub")));
    }

    [Fact]
    public void The_ingress_secret_and_namespace_are_the_settings_defaults()
    {
        var defaults = Stacks.Settings("prod").Ingress;
        var section = Section("Going to production");

        Assert.Contains($"`infra:ingress.tlsSecretName` (default `{defaults.TlsSecretName}`)", section, StringComparison.Ordinal);
        Assert.Contains($"`infra:ingress.namespace` (default `{defaults.Namespace}`)", section, StringComparison.Ordinal);
        Assert.Contains("`kubernetes.io/tls`", section, StringComparison.Ordinal);
    }

    [Fact]
    public void The_import_example_names_a_release_the_plan_installs_in_its_namespace()
    {
        var example = ImportExample().Match(Section("Going to production"));

        Assert.True(example.Success, "README shows no `pulumi import kubernetes:helm.sh/v3:Release <name> <namespace>/<release>`");
        var (name, ns, release) = (example.Groups["name"].Value, example.Groups["ns"].Value, example.Groups["release"].Value);
        Assert.Equal(name, release);
        Assert.Contains(Stacks.Plan("prod").Releases, r => r.ReleaseName == release && r.Namespace == ns);
    }

    [Fact]
    public void The_linkerd_upgrade_names_every_release_in_the_plans_order()
    {
        var plan = Stacks.Plan("prod-linkerd");
        var section = Section("Going to production");
        var upgrade = section[section.IndexOf("**Upgrading\nLinkerd**", StringComparison.Ordinal)..];
        upgrade = upgrade[..upgrade.IndexOf("\n\n", StringComparison.Ordinal)];
        var named = Backticked().Matches(upgrade).Select(m => m.Groups[1].Value).ToList();
        var releases = plan.Releases.Select(r => r.ReleaseName).ToList();

        Assert.Equal(releases, named.Where(releases.Contains).Distinct());
    }

    /// <summary><c>a.b.c</c> as <c>{"a":{"b":{"c":"x"}}}</c>.</summary>
    private static JsonObject AtPath(string key)
    {
        var parts = key.Split('.');
        JsonNode value = "registry.example.com/mirror";
        foreach (var part in parts.Reverse())
        {
            value = new JsonObject { [part] = value };
        }

        return (JsonObject)value;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"pulumi import kubernetes:helm\.sh/v3:Release (?<name>[a-z0-9-]+) (?<ns>[a-z0-9-]+)/(?<release>[a-z0-9-]+)")]
    private static partial Regex ImportExample();
}
