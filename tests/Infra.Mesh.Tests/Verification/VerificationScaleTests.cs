using System.Text;
using Infra.Mesh.Planner;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Verification;

namespace Infra.Mesh.Tests.Verification;

/// <summary>
/// The verification stays bounded at any catalog size: on a generated 10,000-service catalog no verification object
/// passes 64 KiB (Linux's 128 KiB per-argument limit and etcd's request limit are far away), and the verification's
/// total size grows linearly with the services.
/// </summary>
public class VerificationScaleTests
{
    private const int MaxObjectBytes = 64 * 1024;

    /// <summary>Only the verification stage: the rest of the plan changes its fingerprint, never its sizes.</summary>
    private static List<ManifestItem> VerificationObjects(StackSettings settings)
    {
        var mesh = MeshPlanner.MeshFor(settings);
        var builder = new PlanBuilder(settings);
        new VerificationPlanner(mesh.Injection, mesh.Proxy).Plan(builder);
        return [.. builder.Build().Stage(StageKind.Verification).Items.OfType<ManifestItem>()];
    }

    private static List<int> VerificationObjectSizes(StackSettings settings) =>
        [.. VerificationObjects(settings).Select(m => Encoding.UTF8.GetByteCount(ObjectJson.Of(m.Object).ToJsonString()))];

    [Theory]
    [InlineData(MeshKind.Istio)]
    [InlineData(MeshKind.Linkerd)]
    public void At_10000_services_the_largest_verification_object_stays_under_64_KiB_and_the_total_grows_linearly(MeshKind mesh)
    {
        var small = VerificationObjectSizes(StackSettingsLoader.Load(SyntheticCatalog.Create(1_000, mesh)));
        var large = VerificationObjectSizes(StackSettingsLoader.Load(SyntheticCatalog.Create(10_000, mesh)));

        Assert.InRange(large.Max(), 1, MaxObjectBytes);
        Assert.InRange(small.Max(), 1, MaxObjectBytes);
        // Ten times the services, ten times the bytes (within 10 %): nothing is services x namespaces.
        var ratio = (double)large.Sum(s => (long)s) / small.Sum(s => (long)s);
        Assert.InRange(ratio, 9.0, 11.0);
    }

    [Fact]
    public void Ten_thousand_services_in_one_namespace_are_split_into_jobs_of_bounded_size()
    {
        var settings = StackSettingsLoader.Load(SyntheticCatalog.Create(10_000, MeshKind.Istio));
        var crowded = settings with { Services = [.. settings.Services.Select(s => s with { Namespace = "everyone" })] };

        var sizes = VerificationObjectSizes(crowded);
        var plan = VerificationObjects(crowded);

        Assert.InRange(sizes.Max(), 1, MaxObjectBytes);
        // The namespace's denied checks (one per service) no longer fit one Job: several parts, each a ConfigMap and a Job.
        var deniedJobs = plan.Where(m => m.Kind == "Job" && m.Name.StartsWith("verify-denied-", StringComparison.Ordinal)).ToList();
        Assert.True(deniedJobs.Count > 1);
        Assert.All(deniedJobs, j => Assert.Contains(plan, m => m.Kind == "ConfigMap" && m.Name == j.Name));
        // Every service is still checked exactly once.
        var deniedLines = plan.Where(m => m.Kind == "ConfigMap" && m.Name.StartsWith("verify-denied-", StringComparison.Ordinal))
            .SelectMany(m => ((k8s.Models.V1ConfigMap)m.Object).Data[VerificationScript.ChecksFile].Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        Assert.Equal(10_000, deniedLines.Count);
        Assert.Equal(10_000, deniedLines.Distinct().Count());
    }

    [Fact]
    public void Chunks_never_pass_the_byte_budget_and_keep_every_check_in_order()
    {
        var checks = Enumerable.Range(0, 5_000)
            .Select(i => new VerificationCheck(CheckKind.Denied, $"mesh-verifier -> svc-{i}", $"http://svc-{i}.ns.svc.cluster.local:8080/mesh-verify"))
            .ToList();

        var chunks = VerificationPlanner.Chunks(checks);

        Assert.All(chunks, c => Assert.InRange(Encoding.UTF8.GetByteCount(c.Text), 1, VerificationPlanner.MaxChecksBytes));
        Assert.Equal(string.Concat(checks.Select(c => c.ToLine())), string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(checks.Count, chunks.Sum(c => c.Checks));
    }
}
