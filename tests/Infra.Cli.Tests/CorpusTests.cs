using System.Text.Json.Nodes;
using Infra.Cli.Tests.Support;
using Infra.Mesh.Analysis;
using Infra.Testing.Support;
using YamlDotNet.RepresentationModel;

namespace Infra.Cli.Tests;

/// <summary>
/// Runs the bad-input corpus (tests/corpus, one file per rule code): each file changes the example project as a user
/// could, and <c>validate</c> must answer with the stated code at the stated key (exit 2 for errors, listed warnings
/// with exit 0), never with an exception.
/// </summary>
public class CorpusTests
{
    private static readonly string CorpusDirectory = Path.Combine(Stacks.RepositoryDirectory, "tests", "corpus");

    public static TheoryData<string> Cases() => [.. Directory.GetFiles(CorpusDirectory, "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    /// <summary>Rules no settings can trigger: they guard the planner's own derivations and are tested on plans.</summary>
    private static readonly string[] PlanGuards = [RuleCatalog.EgressMissing.Code];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_reports_the_rule_at_the_key(string file)
    {
        var spec = Spec(file);
        using var files = new StackFiles();
        Apply(spec, files);

        var run = InfraTool.Run("validate", Text(spec, "stack"), "--project", files.Directory, "--format", "json");
        var output = JsonNode.Parse(run.Stdout)!.AsObject();

        var code = Text(spec, "code");
        var key = Text(spec, "key");
        if (Text(spec, "severity") == "error")
        {
            Assert.Equal(InfraCommand.BadInput, run.ExitCode);
            var errors = output["errors"]!.AsArray().Select(e => e!.AsObject()).ToList();
            Assert.Contains(errors, e => (string?)e["key"] == key && ((string)e["message"]!).StartsWith(code + ":", StringComparison.Ordinal) && e["line"] is not null);
        }
        else
        {
            Assert.Equal(InfraCommand.Ok, run.ExitCode);
            var warnings = output["warnings"]!.AsArray().Select(e => e!.AsObject()).ToList();
            Assert.Contains(warnings, w => (string?)w["key"] == key && (string?)w["code"] == code && w["line"] is not null);
        }

        Assert.Empty(run.Stderr);
    }

    [Fact]
    public void Every_rule_has_a_corpus_file()
    {
        var covered = Directory.GetFiles(CorpusDirectory, "*.yaml").Select(f => Text(Load(f), "code")).ToHashSet(StringComparer.Ordinal);
        // The audit's findings are analyze's, tested in AnalyzeTests.
        var uncovered = RuleCatalog.All.Except(RuleCatalog.Audit).Select(r => r.Code).Where(c => !covered.Contains(c) && !PlanGuards.Contains(c)).ToList();
        Assert.True(uncovered.Count == 0, $"rules without a corpus file: {string.Join(", ", uncovered)}");
    }

    private static YamlMappingNode Spec(string file) => Load(Path.Combine(CorpusDirectory, file));

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string Text(YamlMappingNode spec, string key) => ((YamlScalarNode)spec[key]).Value!;

    private static void Apply(YamlMappingNode spec, StackFiles files)
    {
        if (spec.Children.TryGetValue(new YamlScalarNode("catalog"), out var catalog))
        {
            // The catalog is the last key of Pulumi.yaml; its items sit six spaces deep.
            var items = string.Join("\n", ((YamlScalarNode)catalog).Value!.TrimEnd().Split('\n').Select(l => "      " + l));
            files.Write("Pulumi.yaml", files.Read("Pulumi.yaml").TrimEnd() + "\n\n" + items + "\n");
        }

        if (spec.Children.TryGetValue(new YamlScalarNode("replace"), out var replacements))
        {
            foreach (var replacement in ((YamlSequenceNode)replacements).Children.Cast<YamlMappingNode>())
            {
                files.Replace(Text(replacement, "file"), Text(replacement, "old"), Text(replacement, "new"));
            }
        }

        if (spec.Children.TryGetValue(new YamlScalarNode("append"), out var append))
        {
            var mapping = (YamlMappingNode)append;
            var file = Text(mapping, "file");
            var text = string.Join("\n", Text(mapping, "text").TrimEnd().Split('\n').Select(l => "  " + l));
            files.Write(file, files.Read(file).TrimEnd() + "\n" + text + "\n");
        }
    }
}
