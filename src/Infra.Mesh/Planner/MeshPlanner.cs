using Infra.Mesh.Delivery;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Verification;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Planner;

/// <summary>Plans a whole stack: the mesh's own parts, then the mesh-neutral ones, into one ordered plan.</summary>
public static class MeshPlanner
{
    public static IMesh MeshFor(StackSettings settings) => settings.Mesh switch
    {
        MeshKind.Linkerd => new LinkerdMesh(settings),
        _ => new IstioMesh(settings),
    };

    public static MeshPlan Plan(StackSettings settings)
    {
        var mesh = MeshFor(settings);
        var plan = new PlanBuilder(settings);
        IPlanner[] planners =
        [
            mesh.ControlPlane,
            new WorkloadPlanner(mesh.Injection),
            mesh.Traffic,
            mesh.Security,
            mesh.Observability,
            new DeliveryPlanner(settings.Mesh == MeshKind.Linkerd ? new LinkerdDelivery() : new IstioDelivery()),
            new VerificationPlanner(mesh.Injection, mesh.Proxy),
        ];
        foreach (var planner in planners)
        {
            planner.Plan(plan);
        }

        return plan.Build();
    }
}
