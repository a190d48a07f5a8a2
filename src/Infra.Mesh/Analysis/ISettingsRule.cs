namespace Infra.Mesh.Analysis;

/// <summary>Checks one kind of mistake in validated settings; reports through <see cref="RuleContext.Report(Rule, Settings.ConfigNode, string)"/>.</summary>
/// <remarks>Rules run once per stack and must stay linear in the catalog's size: look services up in <see cref="RuleContext.ServicesByName"/>.</remarks>
public interface ISettingsRule
{
    /// <summary>The rules this check reports, named when it cannot run (<see cref="RuleScope"/>).</summary>
    IReadOnlyList<Rule> Reports { get; }

    /// <summary>
    /// The top-level <c>infra:</c> keys it reads besides <c>environment</c>, <c>mesh</c> and the catalog (for example
    /// <c>linkerd</c>): while one of them has a settings error, the check does not run, since a default stands in for
    /// the bad value.
    /// </summary>
    IReadOnlyList<string> Reads => [];

    /// <summary>
    /// Whether a finding depends on every service at once (say, a key that no service reads): then it does not run
    /// while any service has a settings error. Other checks run over the services without errors.
    /// </summary>
    bool ReadsWholeCatalog => false;

    void Check(RuleContext context);
}
