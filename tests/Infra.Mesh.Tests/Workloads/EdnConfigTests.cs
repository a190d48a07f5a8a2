using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Workloads;

/// <summary>
/// config.edn from a catalog as a user writes it, read back with the independent <see cref="EdnReader"/>: YAML nulls
/// are nil (and present), a null override removes a catalog value, keyword keys are keywords however quoted, and what
/// EDN cannot mean (a duplicate key, a number beyond a double) is a settings error naming the key.
/// </summary>
public sealed class EdnConfigTests : IDisposable
{
    private const string CacheKey = "infra:services[catalog].config.edn.cache";

    private static readonly string[] NullKeys = ["empty", "tilde", "word"];

    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Null_keys_are_present_as_nil()
    {
        AddToCatalogCache("empty:\n", "tilde: ~\n", "word: null\n");

        var cache = Cache("dev");

        Assert.All(NullKeys, key =>
        {
            Assert.True(cache.Has(new EdnKeyword(key)), key);
            Assert.Null(cache[key]);
        });
        Assert.Equal(300L, cache["ttl-seconds"]);
    }

    [Fact]
    public void A_null_override_removes_the_catalog_value_and_a_new_null_key_is_nil()
    {
        _files.Replace("Pulumi.dev.yaml", "    api-gateway:\n      replicas: 1\n",
            "    api-gateway:\n      replicas: 1\n    catalog:\n      config:\n        edn:\n          cache:\n            ttl-seconds: ~\n            fresh:\n");

        var cache = Cache("dev");

        Assert.False(cache.Has(new EdnKeyword("ttl-seconds")));
        Assert.True(cache.Has(new EdnKeyword("fresh")));
        Assert.Null(cache["fresh"]);
    }

    [Fact]
    public void A_quoted_keyword_key_is_the_keyword_like_a_quoted_keyword_value()
    {
        AddToCatalogCache("\":region\": \":eu\"\n", ":zone: :a\n");

        var cache = Cache("dev");

        Assert.Equal(new EdnKeyword("eu"), cache["region"]);
        Assert.Equal(new EdnKeyword("a"), cache["zone"]);
        Assert.False(cache.Has(":region"));
    }

    [Theory]
    [InlineData("\":ttl-seconds\": 5\n")]
    [InlineData(":ttl-seconds: 5\n")]
    public void Two_keys_that_are_one_EDN_key_are_an_error_at_the_second(string duplicate)
    {
        AddToCatalogCache(duplicate);

        var error = Assert.Single(Errors("dev"));

        Assert.Equal(CacheKey + ".:ttl-seconds", error.Key);
        Assert.Contains(":ttl-seconds", error.Message, StringComparison.Ordinal);
        Assert.Contains("keep one", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-2.5e309")]
    public void A_number_beyond_a_double_is_an_error_naming_the_key(string number)
    {
        AddToCatalogCache($"ratio: {number}\n", $"limits: [1, {number}]\n");

        var errors = Errors("dev");

        Assert.Equal([CacheKey + ".limits[1]", CacheKey + ".ratio"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains(number, e.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains(".inf", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Infinity_spelled_as_YAML_spells_it_and_a_quoted_big_number_are_fine()
    {
        AddToCatalogCache("top: .inf\n", "bottom: -.inf\n", "text: \"1e400\"\n", "big: 1e308\n");

        var cache = Cache("dev");

        Assert.Equal(double.PositiveInfinity, cache["top"]);
        Assert.Equal(double.NegativeInfinity, cache["bottom"]);
        Assert.Equal("1e400", cache["text"]);
        Assert.Equal(1e308, cache["big"]);
    }

    private EdnMap Cache(string stack)
    {
        var plan = _files.Analyze(stack).Plan;
        var config = plan.Items.OfType<ManifestItem>().Select(i => i.Object).OfType<k8s.Models.V1ConfigMap>().Single(c => c.Metadata.Name == "catalog-config");
        var edn = Assert.IsType<EdnMap>(EdnReader.Read(config.Data[WorkloadPlanner.ConfigFileName]));
        return Assert.IsType<EdnMap>(edn["cache"]);
    }

    private IReadOnlyList<SettingsError> Errors(string stack) => Assert.Throws<SettingsException>(() => _files.Analyze(stack)).Errors;

    private void AddToCatalogCache(params string[] lines) =>
        _files.Replace("Pulumi.yaml", "              ttl-seconds: 300\n", "              ttl-seconds: 300\n" + string.Concat(lines.Select(l => "              " + l)));
}
