using System.Collections.Immutable;

namespace Infra.Mesh.Analysis;

/// <summary>
/// Every semantic rule, by stable code. Codes are never reused or renumbered; the README's rule table lists the same
/// rows (a test keeps the two in step), and <c>infra:analysis.errors</c> promotes named warnings to errors.
/// </summary>
public static class RuleCatalog
{
    public static readonly Rule UninjectedCaller = new("INFRA101", "identity",
        "An uninjected caller calls a meshed service, whose authorization admits mesh identities only", Severity.Error, RuleMeshes.Both);

    public static readonly Rule UnauthenticatedCall = new("INFRA105", "identity",
        "A call opened to a caller without mesh identity (unauthenticated: true): plain text is admitted on that edge", Severity.Warning,
        RuleMeshes.Both, ErrorInProd: true);

    public static readonly Rule HttpFieldsOnTcpCallee = new("INFRA102", "protocol",
        "HTTP methods or paths on a call to a service that has no HTTP port", Severity.Error, RuleMeshes.Both);

    public static readonly Rule ProbePathsIgnored = new("INFRA103", "protocol",
        "Health paths set for a gRPC or TCP health port, whose probes have no path", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule UnauthorizedProbe = new("INFRA104", "protocol",
        "A gRPC or TCP health port on Linkerd, where kubelet's probe is refused or answered by the proxy", Severity.Error, RuleMeshes.Linkerd);

    public static readonly Rule NameTooLong = new("INFRA110", "names",
        "A generated object name, label value or port name exceeds Kubernetes' limit", Severity.Error, RuleMeshes.Both);

    public static readonly Rule NameCollision = new("INFRA111", "names",
        "A catalog name collides with the name of an object the plan generates", Severity.Error, RuleMeshes.Both);

    public static readonly Rule ReservedPort = new("INFRA120", "ports",
        "An application port the mesh's proxy reserves for itself", Severity.Error, RuleMeshes.Both);

    public static readonly Rule EgressMissing = new("INFRA125", "egress",
        "A destination a workload needs is outside its proxy's egress (Sidecar hosts or istiod's discovery)", Severity.Error, RuleMeshes.Istio);

    public static readonly Rule OwnedNamespace = new("INFRA130", "namespaces",
        "An application in a namespace the cluster or the mesh owns", Severity.Error, RuleMeshes.Both);

    public static readonly Rule WeightWithoutPods = new("INFRA140", "traffic",
        "Traffic weight on a version with no pods", Severity.Error, RuleMeshes.Both);

    public static readonly Rule CanaryBypassed = new("INFRA145", "traffic",
        "A canary split a caller without a proxy (inject: false) bypasses: its requests reach the versions by pod count", Severity.Warning,
        RuleMeshes.Both, ErrorInProd: true);

    public static readonly Rule RetryBudget = new("INFRA141", "traffic",
        "Retry attempts times the per-try timeout exceed the route timeout", Severity.Warning, RuleMeshes.Both, ErrorInProd: true);

    public static readonly Rule CanaryIsStable = new("INFRA142", "traffic",
        "The canary runs the stable image", Severity.Error, RuleMeshes.Both);

    public static readonly Rule UnsafeRetries = new("INFRA143", "resilience",
        "Non-idempotent requests retried on conditions where the callee may already have processed them", Severity.Warning, RuleMeshes.Both, ErrorInProd: true);

    public static readonly Rule EjectEverything = new("INFRA144", "resilience",
        "Outlier detection can eject every endpoint of a version", Severity.Warning, RuleMeshes.Istio, ErrorInProd: true);

    public static readonly Rule MemoryUnit = new("INFRA150", "resources",
        "A memory quantity without a byte unit (bytes or millibytes)", Severity.Error, RuleMeshes.Both);

    public static readonly Rule HeapTooSmall = new("INFRA151", "resources",
        "A JVM heap too small for a Clojure service at the configured MaxRAMPercentage", Severity.Error, RuleMeshes.Both);

    public static readonly Rule IssuerRenewal = new("INFRA160", "certificates",
        "A Pulumi-managed Linkerd issuer is renewed only by a deploy within a short window", Severity.Warning, RuleMeshes.Linkerd);

    public static readonly Rule DuplicateYamlKey = new("INFRA170", "yaml",
        "A YAML mapping sets the same key twice (Pulumi's YAML reader refuses it)", Severity.Error, RuleMeshes.Both);

    public static readonly Rule ZeroDuration = new("INFRA180", "streaming",
        "A zero duration where the mesh requires a positive one", Severity.Error, RuleMeshes.Both);

    public static readonly Rule UndeclaredStreaming = new("INFRA181", "streaming",
        "A gRPC port under a route timeout that does not declare whether it carries streams (ports[].streaming)", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule StartTls = new("INFRA185", "protocols",
        "A TLS external host on a port whose protocol starts in plain text (STARTTLS)", Severity.Error, RuleMeshes.Istio);

    public static readonly Rule MetricsNotScraped = new("INFRA190", "metrics",
        "Application metrics no scraper in the stack can read: none is authorized (Linkerd), or the port speaks no HTTP", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule UnreadKey = new("INFRA195", "config keys",
        "A secret infra: key that no service reads", Severity.Warning, RuleMeshes.Both, ErrorInProd: true);

    public static readonly Rule IstioOnlySetting = new("INFRA198", "honesty",
        "An Istio-only setting Linkerd has no equivalent of (Envoy traffic settings, trace sampling, Istio addons)", Severity.Warning, RuleMeshes.Linkerd);

    public static readonly Rule NotCarriedOut = new("INFRA199", "honesty",
        "A setting the chosen mesh does not carry out: a public host without an ingress, external hosts without egress restriction", Severity.Warning,
        RuleMeshes.Linkerd, ErrorInProd: true);

    public static readonly Rule NotMeshed = new("INFRA201", "audit",
        "A workload outside the mesh: no mTLS, no authorization, no mesh telemetry", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule NotRestricted = new("INFRA202", "audit",
        "An application namespace that does not enforce Pod Security restricted", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule NoDefaultDeny = new("INFRA203", "audit",
        "An application namespace without default deny", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule NotStrictMtls = new("INFRA204", "audit",
        "An application namespace that accepts traffic without mutual TLS", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule Unauthorized = new("INFRA205", "audit",
        "A port reachable without authorization", Severity.Warning, RuleMeshes.Both);

    public static readonly Rule Exposed = new("INFRA206", "audit",
        "A service reachable from outside the cluster", Severity.Note, RuleMeshes.Istio);

    /// <summary>Every rule, in code order.</summary>
    public static ImmutableArray<Rule> All { get; } =
    [
        UninjectedCaller, HttpFieldsOnTcpCallee, ProbePathsIgnored, UnauthorizedProbe, UnauthenticatedCall, NameTooLong, NameCollision, ReservedPort,
        EgressMissing, OwnedNamespace, WeightWithoutPods, RetryBudget, CanaryIsStable, UnsafeRetries, EjectEverything, CanaryBypassed, MemoryUnit,
        HeapTooSmall, IssuerRenewal, DuplicateYamlKey, ZeroDuration, UndeclaredStreaming, StartTls, MetricsNotScraped, UnreadKey, IstioOnlySetting, NotCarriedOut,
        NotMeshed, NotRestricted, NoDefaultDeny, NotStrictMtls, Unauthorized, Exposed,
    ];

    /// <summary>The security audit's rules: run by <c>analyze</c> only, over the plan (a relaxation is allowed, and shown).</summary>
    public static ImmutableArray<Rule> Audit { get; } = [NotMeshed, NotRestricted, NoDefaultDeny, NotStrictMtls, Unauthorized, Exposed];

    public static Rule? Find(string code) => All.FirstOrDefault(r => r.Code == code);
}
