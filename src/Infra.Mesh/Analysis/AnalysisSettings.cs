using System.Collections.Immutable;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis;

/// <summary>
/// <c>infra:analysis</c>: <c>errors</c> lists rule codes whose warnings this stack treats as errors (prod already
/// does so for the rules marked so in <see cref="RuleCatalog"/>).
/// </summary>
public static class AnalysisSettings
{
    public const string Key = "analysis";

    /// <summary>The promoted codes that are rule codes; an unknown code or key is added to <paramref name="errors"/>.</summary>
    public static ImmutableHashSet<string> Read(IStackConfigSource source, SettingsErrors errors)
    {
        var node = ConfigNode.Root(source.Find(Key), $"infra:{Key}", source.StackFile, errors);
        node.IsMapping("errors");
        var codes = new List<string>();
        foreach (var item in node["errors"].Items())
        {
            var code = item.Text();
            if (code is null)
            {
                continue;
            }

            if (RuleCatalog.Find(code) is null)
            {
                item.Error($"'{code}' is not a rule code; allowed: {string.Join(", ", RuleCatalog.All.Where(r => r.Severity == Severity.Warning).Select(r => r.Code))}");
            }
            else
            {
                codes.Add(code);
            }
        }

        return [.. codes];
    }
}
