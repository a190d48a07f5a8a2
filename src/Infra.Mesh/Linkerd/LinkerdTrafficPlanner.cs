using Infra.Mesh.Traffic;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Linkerd;

public sealed class LinkerdTrafficPlanner : ITrafficPlanner
{
    public void Plan(PlanBuilder plan)
    {
    }
}
