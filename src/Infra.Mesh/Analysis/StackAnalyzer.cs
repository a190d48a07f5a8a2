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
}

/// <summary>
/// The entry point for every command and the Pulumi program: reads the settings (<see cref="StackSettingsLoader"/>),
/// runs the semantic rules (<see cref="RuleCatalog"/>) over them and over the plan they produce, and fails with a
/// <see cref="SettingsException"/> listing every error finding (file, line, key, value, fix) — never an exception a
/// user could cause otherwise.
/// </summary>
public static class StackAnalyzer
{
    /// <summary>Loads and checks a stack; throws <see cref="SettingsException"/> with every settings error or error finding.</summary>
    public static StackAnalysis Load(IStackConfigSource source)
    {
        var result = Analyze(source);
        if (result.HasErrors || result.Plan is null)
        {
            throw new SettingsException([.. result.Findings.Where(f => f.Severity == Severity.Error).Select(f => f.ToSettingsError())]);
        }

        return new StackAnalysis(result.Settings, result.Plan, result.Findings);
    }

    /// <summary>
    /// Runs every rule, and with <paramref name="audit"/> the <see cref="SecurityAudit"/> too; throws
    /// <see cref="SettingsException"/> only when the settings themselves are invalid.
    /// </summary>
    public static StackFindings Analyze(IStackConfigSource source, bool audit = false)
    {
        var settings = StackSettingsLoader.Load(source);
        var context = new RuleContext(settings, source, AnalysisSettings.Read(source));
        ISettingsRule[] settingsRules =
        [
            new IdentityRule(), new ProtocolRule(), new PortRule(), new NamespaceRule(), new TrafficRule(), new CanaryBypassRule(), new ResilienceRule(),
            new ResourceRule(), new CertificateRule(), new DurationRule(), new StreamingRule(), new ExternalProtocolRule(), new MetricsRule(),
            new ConfigKeyRule(source), new HonestyRule(),
        ];
        foreach (var rule in settingsRules)
        {
            rule.Check(context);
        }

        MeshPlan? plan = null;
        if (!context.Findings.Any(f => f.Severity == Severity.Error))
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

        return new StackFindings(settings, plan, [.. context.Findings]);
    }
}
