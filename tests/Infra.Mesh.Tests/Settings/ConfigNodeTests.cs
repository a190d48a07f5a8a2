using System.Globalization;
using CsCheck;
using Infra.Mesh.Settings;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Tests.Settings;

/// <summary>
/// The readers' contract: with a default, a missing value is the default and a bad one is reported with the default
/// standing in; without one, missing or bad is null. Callers never spell a default twice.
/// </summary>
public sealed class ConfigNodeTests
{
    private const string File = "Pulumi.test.yaml";

    [Fact]
    public void WholeNumberIsTheValueInRangeElseTheDefaultWithOneReport()
    {
        Gen.Select(Gen.Int[-1000, 1000], Gen.Int[-100, 100], Gen.Int[0, 200], Gen.Int[-50, 50]).Sample((value, min, width, fallback) =>
        {
            var max = min + width;
            var (node, errors) = Node(value.ToString(CultureInfo.InvariantCulture));
            var inRange = value >= min && value <= max;

            Assert.Equal(inRange ? value : fallback, node.WholeNumber(fallback, min, max));
            Assert.Equal(inRange ? value : null, node.WholeNumber(min, max));
            var reported = Errors(errors);
            // Each read reports; the collector keeps one copy of the same problem.
            Assert.Equal(inRange ? 0 : 1, reported.Count);
            Assert.All(reported, e => Assert.Equal($"{value} is out of range; allowed: {min}..{max}", e.Message));
        });
    }

    [Fact]
    public void MissingValuesAreTheDefaultWithoutAReport()
    {
        var (node, errors) = Node(null);
        Assert.Equal(7, node.WholeNumber(7, 1, 10));
        Assert.Null(node.WholeNumber(1, 10));
        Assert.Equal(0.5, node.Number(0.5, 0, 1));
        Assert.True(node.Bool(true));
        Assert.Equal("b", node.OneOf("b", "a", "b"));
        Assert.Null(node.OneOf(["a", "b"]));
        Assert.Equal("x", node.Matching(Names.Dns1123Label(), "a label", "x"));
        Assert.Null(node.Matching(Names.Dns1123Label(), "a label"));
        Assert.Empty(Errors(errors));
    }

    [Theory]
    [InlineData("three")]
    [InlineData("1.5")]
    public void ABadValueIsReportedNamingTheKeyAndTheDefaultStandsIn(string text)
    {
        var (node, errors) = Node(text);
        Assert.Equal(7, node.WholeNumber(7, 1, 10));
        Assert.True(node.Bool(true));
        Assert.Equal("b", node.OneOf("b", "a", "b"));
        Assert.Equal(0.5, node.Number(0.5, 0, 1)); // 'three' is no number, 1.5 is out of range
        var reported = Errors(errors);
        Assert.All(reported, e => Assert.Equal(("infra:value", File, 1), (e.Key, e.File, e.Line)));
        Assert.Contains(reported, e => e.Message == $"'{text}' is not a whole number; allowed: 1..10");
        Assert.Contains(reported, e => e.Message == $"'{text}' is not a boolean; allowed: true, false");
        Assert.Contains(reported, e => e.Message == $"'{text}' is not allowed; allowed: a, b");
    }

    private static (ConfigNode Node, SettingsErrors Errors) Node(string? scalar)
    {
        var errors = new SettingsErrors();
        ConfigEntry? entry = null;
        if (scalar is not null)
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader($"value: {scalar}\n"));
            var value = ((YamlMappingNode)yaml.Documents[0].RootNode).Children[new YamlScalarNode("value")];
            entry = new ConfigEntry("value", value, File, IsSecret: false, Line: 1);
        }

        return (ConfigNode.Root(entry, "infra:value", File, errors), errors);
    }

    private static IReadOnlyList<SettingsError> Errors(SettingsErrors errors)
    {
        try
        {
            errors.ThrowIfAny();
            return [];
        }
        catch (SettingsException e)
        {
            return e.Errors;
        }
    }
}
