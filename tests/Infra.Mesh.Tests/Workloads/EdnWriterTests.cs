using System.Numerics;
using Infra.Mesh.Workloads;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Tests.Workloads;

public class EdnWriterTests
{
    private static YamlMappingNode Yaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static EdnMap Written(string yaml) => Assert.IsType<EdnMap>(EdnReader.Read(Edn.Write(Yaml(yaml))));

    [Fact]
    public void Plain_scalars_keep_their_YAML_type_and_quoted_ones_stay_strings()
    {
        var edn = Written("""
            int: 10
            negative: -3
            hex: 0x1F
            octal: 0o17
            huge: 123456789012345678901234567890
            float: 2.50
            exponent: 1e300
            whole-float: 1e3
            infinity: -.inf
            yes: true
            no: False
            nothing: ~
            empty:
            quoted-int: "10"
            quoted-bool: 'true'
            quoted-null: "null"
            tagged: !!str 42
            version: 2.8.0-rc.1
            text: hello world
            """);

        Assert.Equal(10L, edn["int"]);
        Assert.Equal(-3L, edn["negative"]);
        Assert.Equal(31L, edn["hex"]);
        Assert.Equal(15L, edn["octal"]);
        Assert.Equal(BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture), edn["huge"]);
        Assert.Equal(2.5, edn["float"]);
        Assert.Equal(1e300, edn["exponent"]);
        Assert.Equal(1000.0, Assert.IsType<double>(edn["whole-float"]));
        Assert.Equal(double.NegativeInfinity, edn["infinity"]);
        Assert.Equal(true, edn["yes"]);
        Assert.Equal(false, edn["no"]);
        Assert.Null(edn["nothing"]);
        Assert.Null(edn["empty"]);
        Assert.Equal("10", edn["quoted-int"]);
        Assert.Equal("true", edn["quoted-bool"]);
        Assert.Equal("null", edn["quoted-null"]);
        Assert.Equal("42", edn["tagged"]);
        Assert.Equal("2.8.0-rc.1", edn["version"]);
        Assert.Equal("hello world", edn["text"]);
    }

    [Fact]
    public void Keyword_shaped_strings_become_keywords_whether_quoted_or_not()
    {
        var edn = Written("""
            plain: :info
            quoted: ":stripe"
            namespaced: ":db/primary"
            list:
              - ":a"
              - :b
            spaced: ": not a keyword"
            numeric: ":1x"
            double-colon: "::auto"
            """);

        Assert.Equal(new EdnKeyword("info"), edn["plain"]);
        Assert.Equal(new EdnKeyword("stripe"), edn["quoted"]);
        Assert.Equal(new EdnKeyword("db/primary"), edn["namespaced"]);
        Assert.Equal([new EdnKeyword("a"), new EdnKeyword("b")], Assert.IsType<EdnVector>(edn["list"]).Items);
        Assert.Equal(": not a keyword", edn["spaced"]);
        Assert.Equal(":1x", edn["numeric"]);
        Assert.Equal("::auto", edn["double-colon"]);
    }

    [Theory]
    [InlineData("say \"hi\"")]
    [InlineData("C:\\temp\\x")]
    [InlineData("line one\nline two\r\n\ttabbed")]
    [InlineData("bell \u0007 and nul \u0000")]
    [InlineData("; not a comment, # not a tag, {not a map} [nor a vector]")]
    [InlineData("unicode é 中文 🚀")]
    [InlineData("nil")]
    [InlineData("")]
    public void Strings_read_back_unchanged(string value)
    {
        var config = new YamlMappingNode { { "value", new YamlScalarNode(value) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted } } };

        var edn = Assert.IsType<EdnMap>(EdnReader.Read(Edn.Write(config)));

        Assert.Equal(value, edn["value"]);
    }

    [Fact]
    public void Keys_that_are_not_keywords_stay_string_keys()
    {
        var edn = Written("""
            "with space": 1
            "8080": 2
            "-1": 3
            db/pool-size: 4
            """);

        Assert.True(edn.Has("with space"));
        Assert.True(edn.Has("8080"));
        Assert.True(edn.Has("-1"));
        Assert.Equal(4L, edn["db/pool-size"]);
    }

    [Fact]
    public void Nested_maps_and_vectors_read_back_with_their_shape()
    {
        var edn = Written("""
            routes:
              - path: /a
                methods: [GET, POST]
              - path: /b
                limits: {rps: 10, burst: [1, 2]}
            matrix: [[1, 2], [3]]
            empty-map: {}
            empty-list: []
            """);

        var routes = Assert.IsType<EdnVector>(edn["routes"]).Items.Cast<EdnMap>().ToList();
        Assert.Equal("/a", routes[0]["path"]);
        Assert.Equal(["GET", "POST"], Assert.IsType<EdnVector>(routes[0]["methods"]).Items);
        Assert.Equal(10L, Assert.IsType<EdnMap>(routes[1]["limits"])["rps"]);
        Assert.Equal([2, 1], Assert.IsType<EdnVector>(edn["matrix"]).Items.Select(i => ((EdnVector)i!).Items.Count));
        Assert.Empty(Assert.IsType<EdnMap>(edn["empty-map"]).Entries);
        Assert.Empty(Assert.IsType<EdnVector>(edn["empty-list"]).Items);
    }

    [Fact]
    public void Config_handed_over_as_JSON_gives_the_same_file_as_the_YAML_it_came_from()
    {
        // At deploy time Pulumi passes object config as JSON, where every string is quoted and numbers are not.
        const string yaml = """
            db:
              pool-size: 10
              host: orders-db
            log-level: :info
            features:
              - ":idempotency-keys"
              - :async-invoices
            ratio: 0.5
            enabled: true
            nothing: null
            """;
        const string json = """
            {"db": {"pool-size": 10, "host": "orders-db"}, "log-level": ":info",
             "features": [":idempotency-keys", ":async-invoices"], "ratio": 0.5, "enabled": true, "nothing": null}
            """;

        Assert.Equal(Edn.Write(Yaml(yaml)), Edn.Write(Yaml(json)));
    }

    [Fact]
    public void No_config_is_an_empty_map() => Assert.Empty(Assert.IsType<EdnMap>(EdnReader.Read(Edn.Write(null))).Entries);
}
