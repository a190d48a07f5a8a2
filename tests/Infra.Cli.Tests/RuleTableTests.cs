using Infra.Mesh.Analysis;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

/// <summary>The README's rule table is the users' reference: it lists exactly the rules the code has, as the code has them.</summary>
public class RuleTableTests
{
    [Fact]
    public void The_readme_table_lists_every_rule_with_its_kind_severity_meshes_and_title()
    {
        var rows = File.ReadAllLines(Path.Combine(Stacks.RepositoryDirectory, "README.md"))
            .Where(l => l.StartsWith("| INFRA", StringComparison.Ordinal))
            .Select(l => l.Trim('|').Split(" | ").Select(c => c.Trim()).ToArray())
            .ToList();

        var expected = RuleCatalog.All.Select(r => new[]
        {
            r.Code,
            r.Kind,
            r.Severity switch
            {
                Severity.Error => "error",
                Severity.Note => "note",
                _ => r.ErrorInProd ? "warning, prod: error" : "warning",
            },
            r.Meshes switch { RuleMeshes.Istio => "istio", RuleMeshes.Linkerd => "linkerd", _ => "both" },
            r.Title,
        }).ToList();
        Assert.Equal(expected.Select(e => string.Join(" | ", e)), rows.Select(r => string.Join(" | ", r)));
    }

    [Fact]
    public void Codes_are_unique_and_numbered_INFRA1xx_for_rules_and_INFRA2xx_for_the_audit()
    {
        Assert.Equal(RuleCatalog.All.Length, RuleCatalog.All.Select(r => r.Code).Distinct().Count());
        Assert.All(RuleCatalog.All, r => Assert.Matches(RuleCatalog.Audit.Contains(r) ? "^INFRA2[0-9]{2}$" : "^INFRA1[0-9]{2}$", r.Code));
    }
}
