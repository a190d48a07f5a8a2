using Infra.Mesh.Planning;

namespace Infra.Mesh.Verification;

/// <summary>Checks, run in the cluster after a deploy, that traffic flows through the proxies and policies hold.</summary>
public sealed class VerificationPlanner : IPlanner
{
    public void Plan(PlanBuilder plan)
    {
    }
}
