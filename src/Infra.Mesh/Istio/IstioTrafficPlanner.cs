using Infra.Mesh.Traffic;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Istio;

public sealed class IstioTrafficPlanner : ITrafficPlanner
{
    public void Plan(PlanBuilder plan)
    {
    }
}
