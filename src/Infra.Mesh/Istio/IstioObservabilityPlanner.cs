using Infra.Mesh.Observability;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Istio;

public sealed class IstioObservabilityPlanner : IObservabilityPlanner
{
    public void Plan(PlanBuilder plan)
    {
    }
}
