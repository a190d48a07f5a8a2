using System.Collections.Immutable;
using Infra.Mesh.Analysis.Rules;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis;

/// <summary>A stack whose settings and plan passed every rule of error severity, with the warnings that remain.</summary>
public sealed record StackAnalysis(StackSettings Settings, MeshPlan Plan, ImmutableArray<Finding> Warnings);

/// <summary>Every finding of a stack whose settings are well-formed; <paramref name="Plan"/> is null when errors prevent one.</summary>
public sealed record StackFindings(StackSettings Settings, MeshPlan? Plan, ImmutableArray<Finding> Findings)
{
    public bool HasErrors => Findings.Any(f => f.Severity == Severity.Error);

    /// <summary>Checks that did not run because of error findings (the plan's, when errors prevent a plan).</summary>
    public ImmutableArray<string> Skipped { get; init; } = [];
}

/// <summary>
/// The entry point for every command and the Pulumi program: reads the settings (<see cref="StackSettingsLoader"/>),
/// runs the semantic rules (<see cref="RuleCatalog"/>) over them and over the plan they produce, and fails with a
/// <see cref="SettingsException"/> listing every error finding (file, line, key, value, fix) — never an exception a
/// user could cause otherwise. Settings errors and rule findings come in one run: while the settings have errors the
/// rules still check what parsed (<see cref="RuleScope"/>), and what they could not check is listed in
/// <see cref="SettingsException.Skipped"/>.
/// </summary>
public static class StackAnalyzer
{
    /// <summary>The checks made on the plan: they need one, which only settings without errors give.</summary>
    private static readonly Rule[] PlanChecks = [RuleCatalog.NameTooLong, RuleCatalog.NameCollision, RuleCatalog.EgressMissing];

    /// <summary>Loads and checks a stack; throws <see cref="SettingsException"/> with every settings error or error finding.</summary>
    public static StackAnalysis Load(IStackConfigSource source)
    {
        var result = Analyze(source);
        if (result.HasErrors || result.Plan is null)
        {
            throw new SettingsException([.. result.Findings.Where(f => f.Severity == Severity.Error).Select(f => f.ToSettingsError())]) { Skipped = result.Skipped };
        }

        return new StackAnalysis(result.Settings, result.Plan, result.Findings);
    }

    /// <summary>
    /// Runs every rule, and with <paramref name="audit"/> the <see cref="SecurityAudit"/> too; throws
    /// <see cref="SettingsException"/> when the settings themselves are invalid, with the settings errors and the
    /// error findings of the rules that could check the rest, and <see cref="SettingsException.Skipped"/>.
    /// </summary>
    public static StackFindings Analyze(IStackConfigSource source, bool audit = false)
    {
        var errors = new SettingsErrors();
        var settings = StackSettingsLoader.Read(source, errors);
        var promoted = AnalysisSettings.Read(source, errors);
        var scope = RuleScope.Of(settings, errors.All);
        var context = new RuleContext(scope.Settings, source, promoted);
        ISettingsRule[] settingsRules =
        [
            new IdentityRule(), new ProtocolRule(), new PortRule(), new NamespaceRule(), new TrafficRule(), new CanaryBypassRule(), new ResilienceRule(),
            new ResourceRule(), new CertificateRule(), new DurationRule(), new StreamingRule(), new ExternalProtocolRule(), new MetricsRule(),
            new ConfigKeyRule(source), new HonestyRule(),
        ];
        var waiting = new List<(ISettingsRule Rule, string Reason)>();
        foreach (var rule in settingsRules)
        {
            if (scope.Skips(rule) is { } reason)
            {
                waiting.Add((rule, reason));
            }
            else
            {
                rule.Check(context);
            }
        }

        var skipped = new List<string>(scope.LeftOut());
        skipped.AddRange(waiting.GroupBy(w => w.Reason, StringComparer.Ordinal).Select(g =>
            $"{string.Join(", ", g.SelectMany(w => w.Rule.Reports).Select(r => r.Code).Order(StringComparer.Ordinal))}: not checked, {g.Key}"));

        MeshPlan? plan = null;
        if (errors.All.Count > 0 || context.Findings.Any(f => f.Severity == Severity.Error))
        {
            Rule[] planChecks = audit ? [.. PlanChecks, .. RuleCatalog.Audit] : PlanChecks;
            skipped.Add($"{string.Join(", ", planChecks.Select(r => r.Code))}: not checked, they check the plan, which is made once the errors above are fixed");
        }
        else
        {
            try
            {
                plan = MeshPlanner.Plan(settings);
                IPlanRule[] planRules = audit ? [new NamesRule(), new EgressRule(), new SecurityAudit()] : [new NamesRule(), new EgressRule()];
                foreach (var rule in planRules)
                {
                    rule.Check(context, plan);
                }
            }
            catch (PlanConflictException e)
            {
                NamesRule.Conflicts(context, e.Conflicts);
            }
        }

        if (errors.All.Count > 0)
        {
            throw new SettingsException([.. errors.All, .. context.Findings.Where(f => f.Severity == Severity.Error).Select(f => f.ToSettingsError())])
            {
                Skipped = [.. skipped],
            };
        }

        return new StackFindings(settings, plan, [.. context.Findings]) { Skipped = [.. skipped] };
    }
}
