using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Infra.Cli.Tests.Support;
using Infra.Mesh.Planning;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

public class RenderTests
{
    public static TheoryData<string> StackNames => new("dev", "prod", "dev-linkerd", "dev-ambient");

    internal static RenderedTree Render(string stack, string output, string? project = null)
    {
        var run = InfraTool.Run("render", stack, "--project", project ?? Stacks.ProjectDirectory, "--out", output);
        Assert.True(run.ExitCode == InfraCommand.Ok, run.Stderr);
        return RenderedTree.Of(output);
    }

    [Theory]
    [MemberData(nameof(StackNames))]
    public void Render_writes_plan_md_and_per_stage_folders_in_apply_order(string stack)
    {
        using var temp = new TempDirectory();
        var tree = Render(stack, temp.Path);
        var plan = Stacks.Plan(stack);

        var expected = new List<string> { "plan.md" };
        foreach (var stage in plan.Stages.Where(s => !s.Items.IsEmpty))
        {
            // Folders are numbered by the stage's place in the apply order, so a directory listing reads in order.
            var folder = $"{(int)stage.Kind + 1:00}-{stage.Name}";
            expected.AddRange(stage.Items.OfType<HelmReleaseItem>().Select(r => $"{folder}/{r.ReleaseName}.values.yaml"));
            // A pinned upstream manifest (ManifestFileItem) is listed in plan.md, not copied.
            if (stage.Items.Any(i => i is ManifestItem or SecretItem))
            {
                expected.Add($"{folder}/manifests.yaml");
            }
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), tree.Paths);
    }

    [Theory]
    [MemberData(nameof(StackNames))]
    public void Manifests_parse_back_to_exactly_the_objects_of_their_stage(string stack)
    {
        using var temp = new TempDirectory();
        var tree = Render(stack, temp.Path);

        foreach (var stage in Stacks.Plan(stack).Stages.Where(s => s.Items.Any(i => i is ManifestItem or SecretItem)))
        {
            var documents = tree.Documents($"{(int)stage.Kind + 1:00}-{stage.Name}/manifests.yaml");
            var planned = stage.Items.Select(i => i switch
            {
                ManifestItem m => (m.Kind, m.Namespace, m.Name),
                SecretItem s => ("Secret", s.Namespace, s.Name),
                _ => default,
            }).Where(i => i != default);

            Assert.All(documents, d => Assert.False(string.IsNullOrEmpty((string?)d["apiVersion"])));
            Assert.Equal(planned, documents.Select(d => ((string)d["kind"]!, d.Namespace(), d.Name()!)));
        }
    }

    [Theory]
    [MemberData(nameof(StackNames))]
    public void Each_values_file_is_one_mapping_naming_its_chart_and_version(string stack)
    {
        using var temp = new TempDirectory();
        var tree = Render(stack, temp.Path);

        foreach (var release in Stacks.Plan(stack).Releases)
        {
            var path = Assert.Single(tree.Paths, p => p.EndsWith($"/{release.ReleaseName}.values.yaml", StringComparison.Ordinal));
            var values = Assert.Single(tree.Documents(path));
            var topLevel = release.Values.Select(v => v.Key).Concat(release.SecretValues.Select(v => v.Path.Split('.')[0])).Distinct();
            Assert.Equal(topLevel.Order(StringComparer.Ordinal), values.Select(v => v.Key).Order(StringComparer.Ordinal));
            // Values filled from secrets at deploy time show as their placeholder at their path.
            Assert.All(release.SecretValues, secret => Assert.Equal(
                secret.Source.Placeholder,
                (string?)secret.Path.Split('.').Aggregate((JsonNode?)values, (node, key) => node?[key])));
            // The header comment says where the values go, for a reviewer reading the file alone.
            Assert.StartsWith($"# Helm release {release.ReleaseName}: chart {release.Chart} {release.Version} ", tree.Text(path), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(StackNames))]
    public void Rendering_twice_gives_byte_identical_trees(string stack)
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        var a = Render(stack, first.Path);
        var b = Render(stack, second.Path);
        var again = Render(stack, first.Path);

        Assert.True(a.SameAs(b));
        Assert.True(a.SameAs(again));
        Assert.Empty(first.Siblings);
    }

    /// <summary>The README's "What render writes" names the count and every file of the repository's dev render.</summary>
    [Fact]
    public void The_readme_lists_exactly_the_files_render_dev_writes()
    {
        using var temp = new TempDirectory();
        var tree = Render("dev", temp.Path, Stacks.RepositoryDirectory);
        var readme = File.ReadAllText(Path.Combine(Stacks.RepositoryDirectory, "README.md"));

        var section = Regex.Match(readme, "`render dev` writes (?<count>[0-9]+) files[^\n]*\n\n```\nrendered/dev/\n(?<tree>(?:  [^\n]*\n)+)```");

        Assert.True(section.Success, "README: no \"`render dev` writes N files\" section with a rendered/dev/ tree");
        Assert.Equal(tree.Paths.Count(), int.Parse(section.Groups["count"].Value, CultureInfo.InvariantCulture));
        var listed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in section.Groups["tree"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "  NN-stage/a.yaml, b.yaml   description": the entry ends at the first double space.
            var entry = line.Trim().Split("  ")[0];
            var folder = entry.Contains('/', StringComparison.Ordinal) ? entry[..(entry.IndexOf('/', StringComparison.Ordinal) + 1)] : "";
            foreach (var name in entry[folder.Length..].Split(", "))
            {
                listed.Add(folder + name);
            }
        }

        Assert.Equal(tree.Paths, listed);
    }

    [Fact]
    public void Dev_and_prod_renders_differ_where_the_environments_differ()
    {
        using var devOut = new TempDirectory();
        using var prodOut = new TempDirectory();
        var dev = Render("dev", devOut.Path).Objects;
        var prod = Render("prod", prodOut.Path).Objects;
        var services = Stacks.Settings("prod").Services.Select(s => (s.Namespace, s.Name)).Order().ToList();

        static string? Enforce(JsonObject ns) => (string?)ns["metadata"]!["labels"]?["pod-security.kubernetes.io/enforce"];
        Assert.All(prod.OfKind("Namespace"), ns => Assert.Equal("restricted", Enforce(ns)));
        Assert.All(dev.OfKind("Namespace"), ns => Assert.Null(Enforce(ns)));

        foreach (var kind in new[] { "PodDisruptionBudget", "HorizontalPodAutoscaler" })
        {
            Assert.Equal(services, prod.OfKind(kind).Select(o => (o.Namespace()!, o.Name()!)).Order());
            Assert.Empty(dev.OfKind(kind));
        }

        Assert.Contains(dev.OfKind("Deployment"), d => d.Name() == "orders-canary" && d.Namespace() == "shop");
        Assert.DoesNotContain(prod.OfKind("Deployment"), d => d.Name() == "orders-canary");
    }

    [Fact]
    public void Committed_stack_files_carry_no_ciphertext_and_still_render()
    {
        foreach (var file in Directory.GetFiles(Stacks.ProjectDirectory, "Pulumi*.yaml"))
        {
            Assert.Empty(SecureValues(RenderedTree.Documents(File.ReadAllText(file), file)[0]));
        }

        using var temp = new TempDirectory();
        var secrets = Render("dev", temp.Path).Objects.OfKind("Secret").ToList();
        Assert.Contains(secrets, s => (string?)s["stringData"]!["DB_PASSWORD"] == "<secret:infra:ordersDbPassword>");
    }

    [Theory]
    [MemberData(nameof(StackNames))]
    public void No_secret_value_or_ciphertext_is_ever_rendered(string stack)
    {
        using var temp = new TempDirectory();
        using var files = new StackFiles();
        // The committed stack files carry no ciphertext; a stack whose secrets are set does.
        files.Write($"Pulumi.{stack}.yaml", files.Read($"Pulumi.{stack}.yaml") +
            "  infra:ordersDbPassword:\n    secure: v1:Xb2aQ6q1S0xqkVv0:Yb5pVgRrn0Y8I3xqk4Q3T0n0eW1mH2XkQm8=\n" +
            "  infra:paymentsStripeKey:\n    secure: v1:9u1cK3mR2pQ7zLw4:8vN2hT6yQ1cX5bZ0rP3wK7mE9sL4dF2gJ6aU=\n");
        var tree = Render(stack, temp.Path, files.Directory);
        var ciphertexts = new[] { "Pulumi.yaml", $"Pulumi.{stack}.yaml" }
            .SelectMany(f => SecureValues(RenderedTree.Documents(files.Read(f), f)[0]))
            .ToList();

        Assert.NotEmpty(ciphertexts);
        Assert.All(tree.Paths, path => Assert.All(ciphertexts, c => Assert.DoesNotContain(c, tree.Text(path), StringComparison.Ordinal)));
        var secrets = tree.Objects.OfKind("Secret").ToList();
        Assert.NotEmpty(secrets);
        // Every entry of every Secret is a placeholder that `pulumi up` fills, never a value.
        Assert.All(
            secrets.SelectMany(s => (s["stringData"] ?? s["data"])!.AsObject()),
            entry => Assert.Matches("^<(secret|generated):[^<>]+>$", (string?)entry.Value));
    }

    private static IEnumerable<string> SecureValues(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "secure" ? [(string)p.Value!] : SecureValues(p.Value)),
        JsonArray a => a.SelectMany(SecureValues),
        _ => [],
    };
}
