using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Verification;

public enum Expectation
{
    /// <summary>The request reaches the service (any answer but 403 or no connection).</summary>
    Allowed,

    /// <summary>The callee's proxy refuses the request with 403.</summary>
    Denied,

    /// <summary>The callee's node proxy (Istio ambient's ztunnel) closes the connection: no HTTP answer at all.</summary>
    Refused,
}

public sealed record VerificationCheck(string Description, string Method, string Url, Expectation Expect);

/// <summary>A Job that runs checks from one identity: a caller's service account, or one that no policy allows.</summary>
public sealed record VerificationJob(string Namespace, string Name, string ServiceAccount, ImmutableArray<VerificationCheck> Checks);

/// <summary>
/// Plans Jobs that prove, in the cluster after each change, that traffic flows through the proxies and policies hold:
/// every declared call succeeds from the caller's own identity, and an identity nobody allowed is refused by every
/// service. Pulumi waits for Jobs to complete, so a failed check fails the <c>pulumi up</c>.
/// </summary>
public sealed class VerificationPlanner(IProxyProbe proxy) : IPlanner
{
    public const string VerifierAccount = "mesh-verifier";

    /// <summary>A small image with curl and a shell, pinned; runs as its non-root user.</summary>
    public const string Image = "docker.io/curlimages/curl:8.11.1";

    private const long CurlUser = 100;

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        if (!settings.Verification.Enabled)
        {
            return;
        }

        // Named after everything else the plan installs: any change re-runs the checks on the next `pulumi up`.
        var revision = Fingerprint(plan.Items);
        foreach (var ns in settings.Namespaces)
        {
            plan.Add(StageKind.Verification, new V1ServiceAccount
            {
                Metadata = new V1ObjectMeta { Name = VerifierAccount, NamespaceProperty = ns, Labels = Labels.Managed() },
                AutomountServiceAccountToken = false,
            }.Initialize());
        }

        foreach (var job in Jobs(settings, proxy))
        {
            plan.Add(StageKind.Verification, Job(job, revision));
        }
    }

    public static IReadOnlyList<VerificationJob> Jobs(StackSettings settings, IProxyProbe proxy)
    {
        var graph = CallGraph.Of(settings);
        var jobs = settings.Services
            .Where(caller => graph.OutOf(caller).Any())
            .Select(caller => new VerificationJob(caller.Namespace, $"verify-{caller.Name}", caller.ServiceAccount,
                [.. graph.OutOf(caller).SelectMany(edge => Allowed(edge, settings))]))
            .ToList();

        // Without default deny, a service nobody may call and nobody reaches from outside has no allow-list to enforce.
        var guarded = settings.Services
            .Where(s => s.Injected && s.Ports.Any(p => p.IsHttp))
            .Where(s => settings.Security.DefaultDeny || graph.Into(s).Any() || s.Public is not null)
            .ToList();
        jobs.AddRange(settings.Namespaces.Select(ns => new VerificationJob(ns, "verify-denied", VerifierAccount,
            [.. guarded.SelectMany(service => Denied(service, settings, proxy.Denial(service)))])));
        return jobs;
    }

    /// <summary>
    /// The Services a check calls: the service's own, and under progressive delivery also Flagger's
    /// <c>&lt;service&gt;-primary</c>, whose pods carry the relabelled <c>app: &lt;service&gt;-primary</c>, so the checks prove
    /// that policies reach them too. (The canary's Service has no pods between rollouts.)
    /// </summary>
    private static IEnumerable<string> Targets(ServiceSettings service, StackSettings settings) =>
        settings.IsProgressive(service) ? [service.Name, FlaggerNames.Primary(service)] : [service.Name];

    private static IEnumerable<VerificationCheck> Allowed(CallEdge edge, StackSettings settings)
    {
        var path = edge.Call.Paths.IsEmpty ? "/" : edge.Call.Paths[0].TrimEnd('*');
        var method = edge.Call.Methods.IsEmpty ? "GET" : edge.Call.Methods[0];
        return Targets(edge.Callee, settings).Select(target =>
            new VerificationCheck($"{edge.Caller.Name} may call {target}", method, Url(edge.Callee, target, path), Expectation.Allowed));
    }

    private static IEnumerable<VerificationCheck> Denied(ServiceSettings service, StackSettings settings, Expectation denial) =>
        Targets(service, settings).Select(target =>
            new VerificationCheck($"an undeclared caller is refused by {target}", "GET", Url(service, target, "/verify/denied"), denial));

    private static string Url(ServiceSettings service, string target, string path) =>
        $"http://{Names.ClusterHost(target, service.Namespace)}:{service.HttpPort.Port.ToString(CultureInfo.InvariantCulture)}{path}";

    /// <summary>The shell script a Job runs: wait for its own proxy, run every check, fail if any check failed.</summary>
    public string Script(VerificationJob job)
    {
        var script = new StringBuilder();
        script.Append("set -u\nfail=0\n");
        script.Append("check() {\n");
        script.Append("  code=$(curl -s -o /dev/null -w '%{http_code}' -X \"$2\" --max-time 10 \"$3\")\n");
        script.Append("  case \"$4\" in\n");
        script.Append("    allowed) [ \"$code\" != 000 ] && [ \"$code\" != 403 ] ;;\n");
        script.Append("    denied) [ \"$code\" = 403 ] ;;\n");
        script.Append("    refused) [ \"$code\" = 000 ] ;;\n");
        script.Append("  esac && echo \"ok   $1 ($code)\" || { echo \"FAIL $1 (got $code, expected $4)\"; fail=1; }\n");
        script.Append("}\n");
        if (proxy.ReadinessUrl is { } readiness)
        {
            script.Append("# Without a ready proxy in this pod nothing below would go through the mesh.\n");
            script.Append($"i=0; until curl -s -o /dev/null --max-time 2 '{readiness}'; do\n");
            script.Append("  i=$((i + 1)); [ \"$i\" -gt 60 ] && { echo 'FAIL no ready mesh proxy in this pod'; exit 1; }; sleep 1\n");
            script.Append("done\n");
        }

        foreach (var check in job.Checks)
        {
            script.Append($"check '{check.Description}' {check.Method} '{check.Url}' {check.Expect.ToString().ToLowerInvariant()}\n");
        }

        script.Append("exit $fail\n");
        return script.ToString();
    }

    private V1Job Job(VerificationJob job, string revision)
    {
        var labels = Labels.Managed();
        // Its own app label: a verification pod must never be selected by a service's Service or policies.
        labels[Labels.App] = job.Name;
        return new V1Job
        {
            Metadata = new V1ObjectMeta { Name = $"{job.Name}-{revision}", NamespaceProperty = job.Namespace, Labels = labels },
            Spec = new V1JobSpec
            {
                BackoffLimit = 2,
                ActiveDeadlineSeconds = 300,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = new Dictionary<string, string>(labels),
                        Annotations = proxy.RunToCompletion.Annotations.IsEmpty ? null : proxy.RunToCompletion.Annotations.ToDictionary(),
                    },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        ServiceAccountName = job.ServiceAccount,
                        AutomountServiceAccountToken = false,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = CurlUser,
                            RunAsGroup = CurlUser,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "verify",
                                Image = Image,
                                Command = ["sh", "-c"],
                                Args = [Script(job)],
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m"), ["memory"] = new("32Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("32Mi") },
                                },
                                SecurityContext = new V1SecurityContext
                                {
                                    AllowPrivilegeEscalation = false,
                                    ReadOnlyRootFilesystem = true,
                                    RunAsNonRoot = true,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                            },
                        ],
                    },
                },
            },
        }.Initialize();
    }

    private static string Fingerprint(IEnumerable<PlanItem> items)
    {
        var text = new StringBuilder();
        foreach (var item in items)
        {
            text.Append(item.Id).Append('\n');
            if (item is ManifestItem manifest)
            {
                text.Append(ObjectJson.Of(manifest.Object).ToJsonString()).Append('\n');
            }
            else if (item is HelmReleaseItem release)
            {
                text.Append(release.Version).Append(release.Values.ToJsonString()).Append('\n');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..8];
    }
}
