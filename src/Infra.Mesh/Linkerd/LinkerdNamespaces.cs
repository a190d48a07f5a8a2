using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using k8s.Models;

namespace Infra.Mesh.Linkerd;

/// <summary>
/// Linkerd's own namespaces, labelled as <c>linkerd install</c> labels them (the charts create namespaces only
/// when rendered by the CLI): the webhooks skip them, and Pod Security Admission gets the level the pods need.
/// </summary>
public static class LinkerdNamespaces
{
    public const string AdmissionWebhooks = "config.linkerd.io/admission-webhooks";

    /// <summary>The control plane. Without the CNI its pods run proxy-init, which needs <c>privileged</c>.</summary>
    public static V1Namespace ControlPlane(bool cni) => Namespace(
        LinkerdSettings.SystemNamespace,
        new()
        {
            ["linkerd.io/is-control-plane"] = "true",
            [AdmissionWebhooks] = "disabled",
            ["linkerd.io/control-plane-ns"] = LinkerdSettings.SystemNamespace,
            [Labels.PodSecurityEnforce] = cni ? "restricted" : "privileged",
        },
        new() { [LinkerdInjection.InjectAnnotation] = "disabled" });

    /// <summary>The CNI DaemonSet writes to the host's CNI directories: it needs <c>privileged</c>.</summary>
    public static V1Namespace Cni() => Namespace(
        LinkerdSettings.CniNamespace,
        new()
        {
            ["linkerd.io/cni-resource"] = "true",
            [AdmissionWebhooks] = "disabled",
            [Labels.PodSecurityEnforce] = "privileged",
        },
        null);

    public static V1Namespace Viz(bool cni) => Namespace(
        LinkerdSettings.VizNamespace,
        new()
        {
            ["linkerd.io/extension"] = "viz",
            [Labels.PodSecurityEnforce] = cni ? "restricted" : "privileged",
        },
        null);

    private static V1Namespace Namespace(string name, Dictionary<string, string> labels, Dictionary<string, string>? annotations)
    {
        foreach (var (key, value) in Labels.Managed())
        {
            labels[key] = value;
        }

        return new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels, Annotations = annotations },
        }.WithApiVersionAndKind();
    }
}
