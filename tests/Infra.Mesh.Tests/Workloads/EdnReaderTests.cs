using System.Numerics;

namespace Infra.Mesh.Tests.Workloads;

/// <summary>The test-side reader is the judge of the writer, so it must itself read EDN right and reject what is not EDN.</summary>
public class EdnReaderTests
{
    [Fact]
    public void Reads_every_kind_of_value_it_supports()
    {
        var map = Assert.IsType<EdnMap>(EdnReader.Read("""
            ; a comment
            {:int 42, :neg -7 :big 123456789012345678901234N
             :float 2.5 :exp 1E+20 :inf ##Inf
             :str "a \"q\" \\ \n\u00e9" :kw :db/pool :sym foo
             :nil nil :yes true :no false
             "string key" [1 [2] {:x 3}] :list (1 2)}
            """));

        Assert.Equal(42L, map["int"]);
        Assert.Equal(-7L, map["neg"]);
        Assert.Equal(BigInteger.Parse("123456789012345678901234", System.Globalization.CultureInfo.InvariantCulture), map["big"]);
        Assert.Equal(2.5, map["float"]);
        Assert.Equal(1e20, map["exp"]);
        Assert.Equal(double.PositiveInfinity, map["inf"]);
        Assert.Equal("a \"q\" \\ \n\u00e9", map["str"]);
        Assert.Equal(new EdnKeyword("db/pool"), map["kw"]);
        Assert.Equal(new EdnSymbol("foo"), map["sym"]);
        Assert.Null(map["nil"]);
        Assert.Equal(true, map["yes"]);
        Assert.Equal(false, map["no"]);
        Assert.True(map.Has("string key"));
        var vector = Assert.IsType<EdnVector>(map.Entries.Single(e => Equals(e.Key, "string key")).Value);
        Assert.Equal(3, vector.Items.Count);
        Assert.Equal(3L, Assert.IsType<EdnMap>(vector.Items[2])["x"]);
        Assert.Equal([1L, 2L], Assert.IsType<List<object?>>(map["list"]));
    }

    [Theory]
    [InlineData("{:a 1")]
    [InlineData("{:a}")]
    [InlineData("{:a 1 :a 2}")]
    [InlineData("[1 2")]
    [InlineData("1 2")]
    [InlineData("012")]
    [InlineData("1.5.5")]
    [InlineData("1e")]
    [InlineData("99999999999999999999")]
    [InlineData("\"unterminated")]
    [InlineData("\"bad \\q escape\"")]
    [InlineData(":")]
    [InlineData("::auto")]
    [InlineData(":a/b/c")]
    [InlineData(":-1x")]
    [InlineData("#{1 2}")]
    [InlineData("#inst \"2020\"")]
    [InlineData("}")]
    [InlineData("")]
    public void Rejects_what_is_not_EDN_or_not_configuration(string text) =>
        Assert.Throws<FormatException>(() => EdnReader.Read(text));
}
