using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Infra.Testing.Tests;

public class YamlJsonTests
{
    [Theory]
    [InlineData("true", "true")]
    [InlineData("False", "false")]
    [InlineData("'true'", "\"true\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("42", "42")]
    [InlineData("-7", "-7")]
    [InlineData("012", "12")]
    [InlineData("0x1F", "31")]
    [InlineData("0o17", "15")]
    [InlineData("1.5", "1.5")]
    [InlineData("1e3", "1000")]
    [InlineData("\"42\"", "\"42\"")]
    [InlineData("!!str 42", "\"42\"")]
    [InlineData("~", "null")]
    [InlineData("null", "null")]
    [InlineData("", "null")]
    [InlineData("v1", "\"v1\"")]
    [InlineData(".inf", "\".inf\"")]
    [InlineData("10.0.0.0/8", "\"10.0.0.0/8\"")]
    public void PlainScalarsFollowTheYaml12CoreSchemaAndQuotedOnesStayStrings(string scalar, string expectedJson)
    {
        var value = Yaml.Object($"value: {scalar}")["value"];

        Assert.Equal(expectedJson, value?.ToJsonString() ?? "null");
    }

    [Fact]
    public void IntegersBecomeLongAndFloatsBecomeDouble()
    {
        var node = Yaml.Object("int: 42\nfloat: 1.5");

        Assert.True(node["int"]!.AsValue().TryGetValue<long>(out var integer));
        Assert.Equal(42L, integer);
        Assert.True(node["float"]!.AsValue().TryGetValue<double>(out var number));
        Assert.Equal(1.5, number);
    }

    [Fact]
    public void BlockScalarsAreStringsEvenWhenTheyLookLikeNumbers()
    {
        var node = Yaml.Object("literal: |\n  42\nfolded: >-\n  true\n");

        Assert.Equal(JsonValueKind.String, node["literal"]!.GetValueKind());
        Assert.Equal("42\n", node["literal"]!.GetValue<string>());
        Assert.Equal("true", node["folded"]!.GetValue<string>());
    }

    [Fact]
    public void ParseAllReturnsEveryDocumentIncludingEmptyOnes()
    {
        var documents = YamlJson.ParseAll("a: 1\n---\n---\n- x\n- 2\n");

        Assert.Equal(3, documents.Count);
        Assert.Equal("""{"a":1}""", documents[0]!.ToJsonString());
        Assert.Null(documents[1]);
        Assert.Equal("""["x",2]""", documents[2]!.ToJsonString());
    }

    [Fact]
    public void ParseOneRejectsSeveralDocumentsAndReturnsNullForNone()
    {
        Assert.Throws<FormatException>(() => YamlJson.ParseOne("a: 1\n---\nb: 2\n"));
        Assert.Null(YamlJson.ParseOne(""));
    }

    [Fact]
    public void AliasesAndMergeKeysAreExpandedIntoIndependentNodes()
    {
        var node = Yaml.Object("base: &b {x: 1}\ncopy: *b\nmerged:\n  <<: *b\n  y: 2\n");

        Assert.Equal("""{"x":1}""", node["copy"]!.ToJsonString());
        Assert.Equal("""{"x":1,"y":2}""", node["merged"]!.ToJsonString());
        Assert.NotSame(node["base"], node["copy"]);
    }

    [Fact]
    public void NestedStructuresConvertToObjectsAndArrays()
    {
        var node = Yaml.Object("spec:\n  ports:\n  - port: 80\n    name: http\n");

        Assert.IsType<JsonArray>(node["spec"]!["ports"]);
        Assert.Equal(80L, node["spec"]!["ports"]![0]!["port"]!.GetValue<long>());
    }
}
