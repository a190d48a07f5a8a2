namespace Infra.Mesh.Analysis;

/// <summary>Checks one kind of mistake in validated settings; reports through <see cref="RuleContext.Report(Rule, Settings.ConfigNode, string)"/>.</summary>
/// <remarks>Rules run once per stack and must stay linear in the catalog's size: look services up in <see cref="RuleContext.ServicesByName"/>.</remarks>
public interface ISettingsRule
{
    void Check(RuleContext context);
}
