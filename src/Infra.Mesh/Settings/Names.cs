using System.Text.RegularExpressions;

namespace Infra.Mesh.Settings;

/// <summary>Kubernetes naming rules the settings are checked against.</summary>
public static partial class Names
{
    /// <summary>The DNS domain of Kubernetes Services in the cluster.</summary>
    public const string ClusterDomain = "svc.cluster.local";

    /// <summary>A Kubernetes Service's cluster-local host: <c>service.namespace.svc.cluster.local</c>.</summary>
    public static string ClusterHost(string service, string ns) => $"{service}.{ns}.{ClusterDomain}";

    /// <summary>DNS-1123 label: lowercase alphanumerics and '-', at most 63, alphanumeric at both ends.</summary>
    [GeneratedRegex("^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    public static partial Regex Dns1123Label();

    /// <summary>A Service name: a DNS-1123 label that starts with a letter (DNS-1035).</summary>
    [GeneratedRegex("^(?=.{1,63}$)[a-z]([-a-z0-9]*[a-z0-9])?$")]
    public static partial Regex ServiceName();

    /// <summary>IANA service name, which named container and Service ports must be.</summary>
    [GeneratedRegex("^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$")]
    public static partial Regex PortName();

    /// <summary>A DNS-1123 subdomain such as a host name.</summary>
    [GeneratedRegex(@"^(?=.{1,253}$)(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    public static partial Regex Host();

    /// <summary>A Kubernetes Service's cluster-local host: <c>service.namespace.svc.cluster.local</c>.</summary>
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc\.cluster\.local$")]
    public static partial Regex ClusterServiceHost();

    /// <summary>A Go-style duration as meshes take it: 250ms, 5s, 1m, 1h.</summary>
    [GeneratedRegex(@"^[0-9]+(ms|s|m|h)$")]
    public static partial Regex Duration();

    /// <summary>A Kubernetes resource quantity such as 250m, 1, 768Mi, 2Gi.</summary>
    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")]
    public static partial Regex Quantity();

    /// <summary>An environment variable name.</summary>
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    public static partial Regex EnvironmentVariable();

    /// <summary>
    /// An HTTP header value a route matches exactly: visible ASCII and inner spaces (RFC 9110 field-value without
    /// obs-text), except <c>|</c>, the column separator of the in-cluster verification checks that send it.
    /// </summary>
    [GeneratedRegex(@"^[\x21-\x7B\x7D\x7E]([\x20-\x7B\x7D\x7E]*[\x21-\x7B\x7D\x7E])?$")]
    public static partial Regex HeaderValue();

    /// <summary>A Pulumi config key name (without the namespace).</summary>
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]*$")]
    public static partial Regex ConfigKey();

    /// <summary>An HTTP path or path prefix; a trailing * matches anything below.</summary>
    [GeneratedRegex(@"^/[A-Za-z0-9._~!$&'()+,;=:@%/-]*\*?$")]
    public static partial Regex HttpPath();

    /// <summary>An image tag (OCI distribution spec), as in an image reference or a canary's tag.</summary>
    private const string TagPattern = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";

    [GeneratedRegex(@"^(?<repo>(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::(?<tag>" + TagPattern + @"))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$")]
    public static partial Regex Image();

    [GeneratedRegex("^" + TagPattern + "$")]
    public static partial Regex ImageTag();

    /// <summary>A lowercase HTTP header name, as meshes match headers.</summary>
    [GeneratedRegex("^[a-z0-9-]+$")]
    public static partial Regex HeaderName();
}
