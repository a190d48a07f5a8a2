using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Workloads;

public class PodSecurityTests
{
    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Every_pod_passes_the_restricted_profile(string stack) =>
        Assert.All(Workload.Objects(stack).OfKind("Deployment"), d => Assert.Empty(RestrictedPodSecurity.Violations(d.PodSpec())));

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void The_root_filesystem_is_read_only_and_only_tmp_is_writable(string stack)
    {
        foreach (var deployment in Workload.Objects(stack).OfKind("Deployment"))
        {
            var container = deployment.Container();
            Assert.True((bool)container["securityContext"]!["readOnlyRootFilesystem"]!);
            var writable = deployment.PodSpec().Items("volumes").Where(v => v["emptyDir"] is not null).Select(v => (string?)v["name"]).ToList();
            var writableMounts = container.Items("volumeMounts").Where(m => writable.Contains((string?)m["name"])).ToList();
            Assert.Equal(["/tmp"], writableMounts.Select(m => (string?)m["mountPath"]));
            Assert.All(container.Items("volumeMounts").Except(writableMounts), m => Assert.True((bool)m["readOnly"]!));
        }
    }

    [Theory]
    [InlineData("containers.0.securityContext.allowPrivilegeEscalation", "true")]
    [InlineData("containers.0.securityContext.capabilities", """{"drop": ["NET_RAW"]}""")]
    [InlineData("containers.0.securityContext.capabilities", """{"drop": ["ALL"], "add": ["NET_ADMIN"]}""")]
    [InlineData("containers.0.securityContext.runAsNonRoot", "false")]
    [InlineData("securityContext.runAsUser", "0")]
    [InlineData("securityContext.seccompProfile", """{"type": "Unconfined"}""")]
    [InlineData("hostNetwork", "true")]
    [InlineData("volumes", """[{"name": "host", "hostPath": {"path": "/"}}]""")]
    [InlineData("initContainers", """[{"name": "istio-init", "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}}}]""")]
    public void The_profile_check_catches_what_admission_would_reject(string path, string json)
    {
        var pod = Workload.Objects("prod").Named("Deployment", "orders").PodSpec().DeepClone().AsObject();
        Assert.Empty(RestrictedPodSecurity.Violations(pod));

        Set(pod, path, JsonNode.Parse(json));

        Assert.NotEmpty(RestrictedPodSecurity.Violations(pod));
    }

    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var keys = path.Split('.');
        var parent = keys[..^1].Aggregate(root, (node, key) => int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? node[i]! : node[key]!);
        parent[keys[^1]] = value;
    }
}
