using Infra.Mesh.Observability;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Linkerd;

public sealed class LinkerdObservabilityPlanner : IObservabilityPlanner
{
    public void Plan(PlanBuilder plan)
    {
    }
}
