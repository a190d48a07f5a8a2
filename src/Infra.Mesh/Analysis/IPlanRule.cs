using Infra.Mesh.Planning;

namespace Infra.Mesh.Analysis;

/// <summary>Checks the plan the settings produce (generated names, derived egress) before anything is rendered or deployed.</summary>
public interface IPlanRule
{
    void Check(RuleContext context, MeshPlan plan);
}
