using System.Text.Json.Nodes;
using CsCheck;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Rendering;

/// <summary>The direct YAML writer against YamlDotNet's emitter, which defines the output.</summary>
public class YamlTextTests
{
    // Characters that change a scalar's style: indicators, quotes, escapes, spaces, breaks, non-ASCII, control characters.
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[Gen.Char["ab:-.# \"'\\\n*/0é\t{}[]&!|>%@`,?"], 0, 10],
        Gen.OneOf("true", "null", "1.5", "-3", "0x1F", "...x", "x:", "a: b", " a", "a ", "a\n", "a\n\n", "\na", " a\nb", "a\n  \nb", "a \nb", "http://x:80/y"));

    private static readonly Gen<JsonNode?> Leaf = Gen.OneOf<JsonNode?>(
        Text.Select(t => (JsonNode?)JsonValue.Create(t)),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const(() => (JsonNode?)null));

    private static Gen<JsonNode?> Node(int depth) => depth == 0
        ? Leaf
        : Gen.Frequency(
            (3, Leaf),
            (2, Gen.Select(Text, Node(depth - 1)).Array[0, 4].Select(entries => (JsonNode?)Mapping(entries))),
            (1, Node(depth - 1).Array[0, 4].Select(items => (JsonNode?)new JsonArray([.. items]))));

    private static JsonObject Mapping((string Key, JsonNode? Value)[] entries)
    {
        var mapping = new JsonObject();
        foreach (var (key, value) in entries)
        {
            mapping[key] = value;
        }

        return mapping;
    }

    private static readonly Gen<JsonNode?[]> Documents =
        Gen.OneOf(Node(3).Where(n => n is JsonObject), Node(3).Where(n => n is JsonArray)).Array[1, 3];

    [Fact]
    public void Every_tree_is_written_exactly_as_the_emitter_writes_it()
    {
        Documents.Sample(documents =>
        {
            var copy = documents.Select(d => d?.DeepClone()).ToArray();
            Assert.Equal(YamlText.Emitted(copy), YamlText.WriteAll(documents).ToString());
        }, iter: 3000);
    }

    [Fact]
    public void The_direct_writer_matches_the_emitter_whenever_it_writes_at_all()
    {
        var direct = 0;
        Documents.Sample(documents =>
        {
            if (YamlText.WriteDirect(documents) is { } written)
            {
                direct++;
                Assert.Equal(YamlText.Emitted(documents), written);
            }
        }, iter: 3000, threads: 1);

        // The generator reaches the direct path often enough for this to mean something.
        Assert.True(direct > 300, $"only {direct} samples took the direct path");
    }

    [Fact]
    public void Scalars_near_the_quick_quoting_checks_edges_are_written_as_the_emitter_writes_them()
    {
        // The direct writer skips the regexes for strings starting with a letter (a set of words decides) and when every
        // character is in the plain-safe sets: every word of YAML's null/boolean vocabulary and near misses, numbers,
        // and characters just inside and outside those sets, around that length.
        var word = Gen.OneOf(
            "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
            "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "nul", "tru", "Nulls", "yesno",
            "1e5", "0x1F", ".inf", "~", "abcde", "ab", "<a", "$x", "(x", "_x", "/x", "-1", "+.5", "-.inf", "~x", "0o7", "null\n", "@x", ":x");
        var tail = Gen.String[Gen.Char["aZ09_./:@=+,()<>$*%-# '\"!&|?`{}[]é\n"], 0, 4];
        Gen.Select(word, tail).Sample((w, t) =>
        {
            var text = w + t;
            JsonNode?[] documents = [new JsonObject { [text] = text, ["k"] = new JsonArray(text) }];
            Assert.Equal(YamlText.Emitted(documents), YamlText.WriteAll(documents).ToString());
        }, iter: 3000);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    [InlineData("prod")]
    public void Real_plans_take_the_direct_path(string stack)
    {
        var plan = Stacks.Plan(stack);
        foreach (var stage in plan.Stages)
        {
            var objects = PlanRenderer.Objects(stage).Cast<JsonNode?>().ToList();
            Assert.Equal(YamlText.Emitted(objects), YamlText.WriteDirect(objects));
        }

        foreach (var release in plan.Releases)
        {
            JsonNode?[] values = [ObjectJson.Values(release, source => JsonValue.Create(source.Placeholder))];
            Assert.Equal(YamlText.Emitted(values), YamlText.WriteDirect(values));
        }
    }

    [Fact]
    public void A_synthetic_catalog_takes_the_direct_path()
    {
        var plan = MeshPlanner.Plan(StackSettingsLoader.Load(SyntheticCatalog.Create(30, MeshKind.Linkerd)));
        var objects = plan.Stages.SelectMany(PlanRenderer.Objects).Cast<JsonNode?>().ToList();

        Assert.Equal(YamlText.Emitted(objects), YamlText.WriteDirect(objects));
    }
}
