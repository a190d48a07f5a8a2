using System.Collections.Immutable;
using System.Globalization;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Linkerd;

/// <summary>Linkerd's injector reads the <c>linkerd.io/inject</c> annotation on the namespace and on the pod template.</summary>
public sealed class LinkerdInjection(StackSettings settings) : IInjection
{
    public const string InjectAnnotation = "linkerd.io/inject";

    public MeshMetadata Namespace(string name) => new(
        ImmutableDictionary<string, string>.Empty,
        ImmutableDictionary<string, string>.Empty.Add(InjectAnnotation, "enabled"));

    public MeshMetadata PodTemplate(ServiceSettings service)
    {
        var annotations = ImmutableDictionary<string, string>.Empty;
        if (!service.Injected)
        {
            return new MeshMetadata(ImmutableDictionary<string, string>.Empty, annotations.Add(InjectAnnotation, "disabled"));
        }

        annotations = annotations.Add(InjectAnnotation, "enabled");
        if (service.Nrepl.Enabled)
        {
            annotations = annotations.Add("config.linkerd.io/skip-inbound-ports", service.Nrepl.Port.ToString(CultureInfo.InvariantCulture));
        }

        _ = settings;
        return new MeshMetadata(ImmutableDictionary<string, string>.Empty, annotations);
    }
}
