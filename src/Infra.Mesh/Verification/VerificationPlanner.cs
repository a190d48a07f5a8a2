using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Infra.Mesh.Planning;
using Infra.Mesh.Security;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;
using k8s.Models;

namespace Infra.Mesh.Verification;

/// <summary>
/// Plans Jobs that prove, in the cluster after each change, that traffic flows through the proxies and policies hold:
/// every declared call is answered by its callee from the caller's own identity and injection, an identity nobody
/// allowed is refused by every guarded service, canaries get their share and their header route, and where mTLS is
/// STRICT a plain-text client is refused. Pulumi waits for Jobs to complete, so a failed check fails <c>pulumi up</c>.
/// </summary>
/// <remarks>
/// Every check sends <c>GET</c> on <see cref="VerificationSettings.Path"/>, which the security planners authorize for
/// every declared caller and nobody else, so no check runs a business operation. Objects stay bounded whatever the
/// catalog: the script is one ConfigMap per namespace, each Job's checks are a mounted ConfigMap of at most
/// <see cref="MaxChecksBytes"/>, and a Job with more checks is split into several.
/// </remarks>
public sealed class VerificationPlanner(IInjection injection, IProxyProbe proxy) : IPlanner
{
    public const string VerifierAccount = "mesh-verifier";

    /// <summary>The per-namespace ConfigMap holding <see cref="VerificationScript"/>.</summary>
    public const string ScriptConfigMap = "mesh-verify-script";

    /// <summary>The value of <see cref="Labels.Component"/> on every verification object; <c>infra verify</c> finds Jobs by it.</summary>
    public const string Component = "mesh-verification";

    /// <summary>Pulumi replaces a Job that did not succeed on the next <c>pulumi up</c> even when its spec is unchanged
    /// (pulumi/pulumi-kubernetes provider/pkg/metadata/annotations.go, <c>AnnotationReplaceUnready</c>).</summary>
    public const string ReplaceUnreadyAnnotation = "pulumi.com/replaceUnready";

    /// <summary>Largest checks file of one Job, in bytes (UTF-8); its ConfigMap stays far below etcd's and the 64 KiB budget.</summary>
    public const int MaxChecksBytes = 32 * 1024;

    /// <summary>Requests with the canary header: every one must reach the canary.</summary>
    public const int HeaderRequests = 10;

    private const long CurlUser = 100;
    private const string ScriptMount = "/verify";
    private const string ChecksMount = "/checks";

    public void Plan(PlanBuilder plan)
    {
        var settings = plan.Settings;
        if (!settings.Verification.Enabled)
        {
            return;
        }

        var script = VerificationScript.For(proxy);

        // What to check reads the settings only: worked out while the plan is hashed (one core hashes, in order).
        var jobs = Task.Run(() => Jobs(settings, injection, proxy));

        // Named after everything else the plan installs: any change re-runs the checks on the next `pulumi up`.
        var revision = Fingerprint(plan.Items, settings.Verification, script);
        foreach (var ns in settings.Namespaces)
        {
            plan.Add(StageKind.Verification, new V1ServiceAccount
            {
                Metadata = Meta(VerifierAccount, ns),
                AutomountServiceAccountToken = false,
            }.WithApiVersionAndKind());
            plan.Add(StageKind.Verification, ConfigMap(Meta(ScriptConfigMap, ns), VerificationScript.ScriptFile, script));
        }

        plan.AddEach(jobs.GetAwaiter().GetResult(), (sink, job) =>
        {
            var chunks = Chunks(job.Checks);
            for (var i = 0; i < chunks.Count; i++)
            {
                var name = JobName(job.Stem, chunks.Count == 1 ? null : i + 1, revision);
                var checks = sink.Add(StageKind.Verification, new ManifestItem(ConfigMap(Meta(name, job.Namespace), VerificationScript.ChecksFile, chunks[i].Text))
                {
                    FingerprintSuffix = revision,
                });
                sink.Add(StageKind.Verification, new ManifestItem(Job(job, name, chunks[i], settings.Verification.Image))
                {
                    DependsOn = [checks.Id],
                    FingerprintSuffix = revision,
                });
            }
        });
    }

    /// <summary>The Jobs of a stack before they are split by size, in catalog order.</summary>
    public static IReadOnlyList<VerificationJob> Jobs(StackSettings settings, IInjection injection, IProxyProbe proxy)
    {
        // Looked up by name once: at 10,000 services, scanning the edges per service would be quadratic.
        var graph = CallGraph.Of(settings);
        var outOf = graph.Edges.ToLookup(e => e.Caller.Name, StringComparer.Ordinal);
        var into = graph.Edges.ToLookup(e => e.Callee.Name, StringComparer.Ordinal);
        var path = settings.Verification.Path;
        var canaryChecks = CanaryChecks(settings, into, path);
        var jobs = new List<VerificationJob>();
        foreach (var caller in settings.Services)
        {
            var checks = outOf[caller.Name]
                .Where(e => Checkable(e.Callee))
                .SelectMany(e => Targets(e.Callee, settings).Select(target =>
                    new VerificationCheck(CheckKind.Allowed, $"{caller.Name} -> {target}", Url(e.Callee, target, path), caller.Injected || e.Callee.Injected)))
                .Concat(canaryChecks.GetValueOrDefault(caller.Name, []))
                .ToImmutableArray();
            if (!checks.IsEmpty)
            {
                // Exactly as the caller runs: its service account, its injection (an uninjected caller's check is uninjected).
                var pod = injection.PodTemplate(caller);
                jobs.Add(new VerificationJob(caller.Namespace, $"verify-calls-{caller.Name}", caller.ServiceAccount, caller.Injected,
                    caller.Injected ? Merge(pod, proxy.RunToCompletion) : pod, checks));
            }
        }

        var byNamespace = settings.Services.ToLookup(s => s.Namespace, StringComparer.Ordinal);
        foreach (var ns in settings.Namespaces)
        {
            var local = byNamespace[ns].ToList();
            ImmutableArray<VerificationCheck> denied =
            [
                .. local.Where(s => Checkable(s) && proxy.Refuses(settings, s, into[s.Name].Any()))
                    .SelectMany(s => Targets(s, settings).Select(target =>
                        new VerificationCheck(proxy.Denial(s), $"{VerifierAccount} -> {target}", Url(s, target, path)))),
            ];
            if (!denied.IsEmpty)
            {
                jobs.Add(new VerificationJob(ns, "verify-denied", VerifierAccount, true, proxy.RunToCompletion, denied));
            }

            if (settings.Security.NamespaceMtls.GetValueOrDefault(ns, settings.Security.Mtls) != MtlsMode.Strict)
            {
                continue;
            }

            ImmutableArray<VerificationCheck> plain =
            [
                .. local.Where(s => s.Injected && WorkloadVersion.Serves(s)).SelectMany(s => s.Ports
                    .Except(into[s.Name].SelectMany(e => e.PlainTextPorts))
                    .Select(p => new VerificationCheck(CheckKind.Refused, $"plain text -> {s.Name}:{p.Name}", Url(s, s.Name, p, path), Proxied: false))),
            ];
            if (!plain.IsEmpty)
            {
                jobs.Add(new VerificationJob(ns, "verify-mtls", VerifierAccount, false, injection.OptOut, plain));
            }
        }

        return jobs;
    }

    /// <summary>
    /// Whether requests to the service can be checked: it has an HTTP port (<see cref="VerifiedPort"/>) and a pod to
    /// answer (a service scaled to zero answers nothing but its callers' proxies' 503, whatever the policies say).
    /// </summary>
    private static bool Checkable(ServiceSettings service) => VerifiedPort(service) is not null && WorkloadVersion.Serves(service);

    /// <summary>
    /// The port checks use: the service's first HTTP/1.1 or HTTP/2 port. A service with only gRPC or TCP ports has no
    /// request every implementation answers without side effects, so calls into it are left to the offline policy tests.
    /// </summary>
    public static ServicePort? VerifiedPort(ServiceSettings service) =>
        service.Ports.FirstOrDefault(p => p.Protocol is PortProtocol.Http or PortProtocol.Http2);

    /// <summary>
    /// Per canary service, a split check and a header check, run by its first injected caller (the caller's proxy
    /// applies the split), or by its first caller when none is injected. A canary nobody calls is not checked.
    /// </summary>
    private static Dictionary<string, ImmutableArray<VerificationCheck>> CanaryChecks(StackSettings settings, ILookup<string, CallEdge> into, string path)
    {
        var checks = new Dictionary<string, ImmutableArray<VerificationCheck>>(StringComparer.Ordinal);
        foreach (var service in settings.Services.Where(s => s.Canary is not null && Checkable(s)))
        {
            var callers = into[service.Name].Select(e => e.Caller).ToList();
            if ((callers.FirstOrDefault(c => c.Injected) ?? callers.FirstOrDefault()) is not { } caller)
            {
                continue;
            }

            var canary = service.Canary!;
            var tolerance = CanaryTolerance.Of(settings.Verification.CanaryRequests, canary.Weight);
            var edge = $"{caller.Name} -> {service.Name}";
            var url = Url(service, service.Name, path);
            var proxied = caller.Injected || service.Injected;
            checks[caller.Name] = checks.GetValueOrDefault(caller.Name, []).AddRange(
                new VerificationCheck(CheckKind.Split, $"{edge} canary {canary.Weight.ToString(CultureInfo.InvariantCulture)}%", url, proxied)
                {
                    Requests = tolerance.Requests,
                    Min = tolerance.Min,
                    Max = tolerance.Max,
                },
                new VerificationCheck(CheckKind.Header, $"{edge} canary header", url, proxied)
                {
                    Requests = HeaderRequests,
                    Min = HeaderRequests,
                    Max = HeaderRequests,
                    Header = $"{canary.HeaderName}: {canary.HeaderValue}",
                });
        }

        return checks;
    }

    /// <summary>
    /// The Services a check calls: the service's own, and under progressive delivery also Flagger's
    /// <c>&lt;service&gt;-primary</c>, whose pods carry the relabelled <c>app: &lt;service&gt;-primary</c>, so the checks prove
    /// that policies reach them too. (The canary's Service has no pods between rollouts.)
    /// </summary>
    private static IEnumerable<string> Targets(ServiceSettings service, StackSettings settings) =>
        settings.IsProgressive(service) ? [service.Name, FlaggerNames.Primary(service)] : [service.Name];

    private static string Url(ServiceSettings service, string target, string path) => Url(service, target, VerifiedPort(service)!, path);

    private static string Url(ServiceSettings service, string target, ServicePort port, string path) =>
        $"http://{Names.ClusterHost(target, service.Namespace)}:{port.Port.ToString(CultureInfo.InvariantCulture)}{path}";

    /// <summary>A Job's checks file: its lines, and how many requests they send.</summary>
    public sealed record Chunk(string Text, int Checks, int Requests);

    /// <summary>Lines in order, a new chunk whenever the next line would pass <see cref="MaxChecksBytes"/>.</summary>
    public static IReadOnlyList<Chunk> Chunks(IEnumerable<VerificationCheck> checks)
    {
        var chunks = new List<Chunk>();
        var text = new StringBuilder();
        int bytes = 0, count = 0, requests = 0;
        foreach (var check in checks)
        {
            var line = check.ToLine();
            var size = Encoding.UTF8.GetByteCount(line);
            if (count > 0 && bytes + size > MaxChecksBytes)
            {
                chunks.Add(new Chunk(text.ToString(), count, requests));
                text.Clear();
                bytes = count = requests = 0;
            }

            text.Append(line);
            bytes += size;
            count++;
            requests += check.Requests;
        }

        if (count > 0)
        {
            chunks.Add(new Chunk(text.ToString(), count, requests));
        }

        return chunks;
    }

    /// <summary>
    /// <c>&lt;stem&gt;[-&lt;part&gt;]-&lt;revision&gt;</c>, at most 63 characters: the Job controller puts the name in
    /// the <c>job-name</c> label of its pods, and label values are at most 63. A long stem is cut and a hash of it appended.
    /// </summary>
    public static string JobName(string stem, int? part, string revision)
    {
        var suffix = (part is { } p ? $"-{p.ToString(CultureInfo.InvariantCulture)}" : "") + $"-{revision}";
        var room = 63 - suffix.Length;
        var head = stem.Length <= room ? stem : $"{stem[..(room - 9)].TrimEnd('-')}-{Hash(stem)[..8]}";
        return head + suffix;
    }

    private static V1Job Job(VerificationJob job, string name, Chunk chunk, string image)
    {
        var labels = Labels.Managed();
        // Its own app label: a verification pod must never be selected by a service's Service or policies.
        labels[Labels.App] = LabelValue(job.Stem);
        labels[Labels.Component] = Component;
        var podLabels = new Dictionary<string, string>(labels);
        foreach (var (key, value) in job.Pod.Labels)
        {
            podLabels[key] = value;
        }

        return new V1Job
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = job.Namespace,
                Labels = labels,
                Annotations = new Dictionary<string, string> { [ReplaceUnreadyAnnotation] = "true" },
            },
            Spec = new V1JobSpec
            {
                BackoffLimit = 1,
                // Time for the proxy, then every request at its timeout: a Job only runs that long when checks fail.
                ActiveDeadlineSeconds = 120 + ((long)chunk.Requests * VerificationScript.RequestTimeoutSeconds),
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = podLabels,
                        Annotations = job.Pod.Annotations.IsEmpty ? null : job.Pod.Annotations.ToDictionary(),
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
                        Volumes =
                        [
                            new V1Volume { Name = "script", ConfigMap = new V1ConfigMapVolumeSource { Name = ScriptConfigMap } },
                            new V1Volume { Name = "checks", ConfigMap = new V1ConfigMapVolumeSource { Name = name } },
                            new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("16Mi") } },
                        ],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "verify",
                                Image = image,
                                Command =
                                [
                                    "sh", $"{ScriptMount}/{VerificationScript.ScriptFile}", $"{ChecksMount}/{VerificationScript.ChecksFile}",
                                    job.Meshed ? "meshed" : "unmeshed",
                                ],
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "script", MountPath = ScriptMount, ReadOnlyProperty = true },
                                    new V1VolumeMount { Name = "checks", MountPath = ChecksMount, ReadOnlyProperty = true },
                                    new V1VolumeMount { Name = "tmp", MountPath = "/tmp" },
                                ],
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
        }.WithApiVersionAndKind();
    }

    /// <summary>A label value (at most 63): a long stem is cut and a hash of it appended, as in <see cref="JobName"/>.</summary>
    private static string LabelValue(string stem) => stem.Length <= 63 ? stem : $"{stem[..54].TrimEnd('-')}-{Hash(stem)[..8]}";

    private static V1ConfigMap ConfigMap(V1ObjectMeta metadata, string key, string text) => new V1ConfigMap
    {
        Metadata = metadata,
        Data = new Dictionary<string, string> { [key] = text },
    }.WithApiVersionAndKind();

    private static V1ObjectMeta Meta(string name, string ns)
    {
        var labels = Labels.Managed();
        labels[Labels.Component] = Component;
        return new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels };
    }

    private static MeshMetadata Merge(MeshMetadata a, MeshMetadata b) =>
        new(a.Labels.SetItems(b.Labels), a.Annotations.SetItems(b.Annotations));

    private static string Fingerprint(IEnumerable<PlanItem> items, VerificationSettings verification, string script)
    {
        // Hashed as it is read, from each object's JSON as the render writes it (serialized once, ManifestItem.Utf8).
        ManifestItem.SerializeAll(items.OfType<ManifestItem>());
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, $"{verification}\n{script}\n");
        foreach (var item in items)
        {
            Append(hash, item.Id);
            hash.AppendData("\n"u8);
            if (item is ManifestItem manifest)
            {
                hash.AppendData(manifest.Utf8);
                hash.AppendData("\n"u8);
            }
            else if (item is HelmReleaseItem release)
            {
                Append(hash, $"{release.Version}{release.Values.ToJsonString()}\n");
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..8];
    }

    /// <summary>Hashes the text's UTF-8 bytes (through a pooled buffer: this runs for every item of the plan).</summary>
    private static void Append(IncrementalHash hash, string text)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            hash.AppendData(buffer, 0, Encoding.UTF8.GetBytes(text, buffer));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
