using Infra.Mesh.Planning;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Workloads;

/// <summary>The replica range an autoscaler keeps a Deployment in.</summary>
public sealed record ReplicaRange(int Min, int Max);

/// <summary>A version of a service, run by its own Deployment: stable always, canary when configured.</summary>
/// <param name="Scaling">The autoscaler's range, or null when the Deployment keeps the fixed <paramref name="Replicas"/>.</param>
public sealed record WorkloadVersion(string Name, string DeploymentName, ImageReference Image, int Replicas, ReplicaRange? Scaling)
{
    /// <summary>The fewest pods this version runs: the autoscaler's minimum, else the fixed replicas.</summary>
    public int MinPods => Scaling?.Min ?? Replicas;

    /// <summary>Whether some version of the service always runs a pod, so a request to it can be answered.</summary>
    public static bool Serves(ServiceSettings service) => Of(service).Any(v => v.MinPods > 0);

    public static IReadOnlyList<WorkloadVersion> Of(ServiceSettings service)
    {
        var autoscaling = service.Autoscaling;
        var versions = new List<WorkloadVersion>
        {
            new(Labels.Stable, service.Name, service.Image, service.Replicas,
                autoscaling.Enabled ? new ReplicaRange(autoscaling.MinReplicas, autoscaling.MaxReplicas) : null),
        };
        if (service.Canary is { } canary)
        {
            versions.Add(new WorkloadVersion(Labels.Canary, $"{service.Name}-canary", service.Image.WithTag(canary.Tag), canary.Replicas,
                CanaryScaling(autoscaling, canary)));
        }

        return versions;
    }

    /// <summary>
    /// The mesh sends the canary its weight of the requests whatever its pod count, so one autoscaler over both versions
    /// would starve it. It scales on its own, from its configured replicas up to its weight's share of stable's ceiling;
    /// when that share is no more than the configured replicas (small weights, header-only canaries) the count stays fixed.
    /// </summary>
    private static ReplicaRange? CanaryScaling(AutoscalingSettings autoscaling, CanarySettings canary)
    {
        var share = (autoscaling.MaxReplicas * canary.Weight + 99) / 100;
        return autoscaling.Enabled && share > canary.Replicas ? new ReplicaRange(canary.Replicas, share) : null;
    }
}
