using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA195: a secret <c>infra:</c> key no service names in <c>secrets</c> is read by nothing (plain unknown keys are
/// already settings errors): typically a misspelled secret name, whose service then runs without its secret.
/// </summary>
public sealed class ConfigKeyRule(IStackConfigSource source) : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.UnreadKey];

    public bool ReadsWholeCatalog => true;

    public void Check(RuleContext context)
    {
        var read = context.Settings.SecretConfigKeys.ToHashSet(StringComparer.Ordinal);
        foreach (var key in (source.Keys ?? []).Where(k => source.Find(k) is { IsSecret: true } && !read.Contains(k)).Order(StringComparer.Ordinal))
        {
            var entry = source.Find(key)!;
            context.Report(RuleCatalog.UnreadKey, entry.File, $"infra:{key}", entry.Line,
                $"secret infra:{key} is read by no service; name it in a service's secrets (VARIABLE: {key}) or remove it"
                + $"{Suggestion(key, read)}");
        }
    }

    private static string Suggestion(string key, HashSet<string> read) =>
        read.FirstOrDefault(r => string.Equals(r, key, StringComparison.OrdinalIgnoreCase) || Distance(r, key) <= 2) is { } near
            ? $" (did you mean infra:{near}?)"
            : "";

    /// <summary>Edit distance, to suggest the key a typo was meant to be.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
