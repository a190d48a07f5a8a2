using Infra.Mesh.Security;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Linkerd;

public sealed class LinkerdSecurityPlanner : ISecurityPlanner
{
    public void Plan(PlanBuilder plan)
    {
    }
}
