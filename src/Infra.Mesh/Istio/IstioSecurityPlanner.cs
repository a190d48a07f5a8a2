using Infra.Mesh.Security;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Istio;

public sealed class IstioSecurityPlanner : ISecurityPlanner
{
    public void Plan(PlanBuilder plan)
    {
    }
}
