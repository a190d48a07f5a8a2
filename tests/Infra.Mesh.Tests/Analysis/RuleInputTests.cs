using Infra.Mesh.Analysis;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Analysis;

/// <summary>
/// While a top-level key has a settings error its default stands in, and only the rules that declare they read it
/// (<see cref="ISettingsRule.Reads"/>) wait for it; the others still run. That is sound only if a rule that does not
/// declare a key gives the same findings whatever that key holds: checked on every fixture stack by taking each key
/// away (its defaults stand in, as for a bad value) and comparing each rule's findings.
/// </summary>
public class RuleInputTests
{
    /// <summary>Keys every rule depends on (a settings error there stops them all) or that are the catalog itself.</summary>
    private static readonly string[] NotPerRule = ["environment", "mesh", "services", "serviceOverrides", "analysis"];

    public static TheoryData<string> StackNames() => [.. ProjectConfigFiles.Stacks(Stacks.ProjectDirectory)];

    [Theory]
    [MemberData(nameof(StackNames))]
    public void A_rule_that_does_not_declare_a_key_finds_the_same_without_it(string stack)
    {
        var source = ProjectConfigFiles.Load(Stacks.ProjectDirectory, stack);
        var original = StackAnalyzer.Analyze(source).Findings;
        var compared = 0;
        foreach (var key in (source.Keys ?? []).Where(k => !NotPerRule.Contains(k) && source.Find(k) is { IsSecret: false }))
        {
            StackFindings without;
            try
            {
                without = StackAnalyzer.Analyze(new Without(source, key));
            }
            catch (SettingsException)
            {
                continue; // the stack needs that key (prod requires some values): no default to compare with
            }

            foreach (var rule in StackAnalyzer.SettingsRules(source).Where(r => !r.Reads.Contains(key)))
            {
                Assert.True(Of(original, rule).SequenceEqual(Of(without.Findings, rule)),
                    $"{string.Join(", ", rule.Reports.Select(r => r.Code))} finds differently without infra:{key} on {stack}: declare it in Reads");
                compared++;
            }
        }

        Assert.True(compared > 0, $"{stack}: no key could be taken away");
    }

    private static IEnumerable<string> Of(IEnumerable<Finding> findings, ISettingsRule rule) =>
        findings.Where(f => rule.Reports.Contains(f.Rule)).Select(f => $"{f.Severity} {f.Rule.Code} {f.Key}: {f.Message}");

    /// <summary>The stack with one top-level key not set.</summary>
    private sealed class Without(IStackConfigSource inner, string key) : IStackConfigSource
    {
        public string StackName => inner.StackName;

        public string StackFile => inner.StackFile;

        public IReadOnlyCollection<string>? Keys => inner.Keys?.Where(k => k != key).ToList();

        public ConfigEntry? Find(string name) => name == key ? null : inner.Find(name);

        public bool? HasSecret(string name) => inner.HasSecret(name);
    }
}
