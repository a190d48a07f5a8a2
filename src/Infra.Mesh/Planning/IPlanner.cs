namespace Infra.Mesh.Planning;

/// <summary>A planner of one concern: adds its items to the plan.</summary>
public interface IPlanner
{
    void Plan(PlanBuilder plan);
}
