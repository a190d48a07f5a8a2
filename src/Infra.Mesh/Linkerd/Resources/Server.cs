using Infra.Mesh.Planning;
using k8s.Models;

namespace Infra.Mesh.Linkerd.Resources;

/// <summary>
/// A Linkerd Server (<c>policy.linkerd.io/v1beta3</c>): one port of a set of pods. Once a Server selects a port,
/// only traffic an AuthorizationPolicy allows reaches it (<see cref="ServerSpec.AccessPolicy"/> is the fallback).
/// </summary>
public sealed class Server(V1ObjectMeta metadata, ServerSpec spec)
    : CustomResource<ServerSpec>(LinkerdPolicy.Group + "/v1beta3", "Server", metadata, spec, LinkerdJson.Default);

/// <param name="Port">A container port name (or number as text).</param>
/// <param name="ProxyProtocol"><c>HTTP/1</c>, <c>HTTP/2</c>, <c>gRPC</c>, <c>opaque</c>, <c>TLS</c> or <c>unknown</c> (detect).</param>
/// <param name="AccessPolicy">What happens to traffic no authorization matches: <c>deny</c>, <c>audit</c>, <c>all-authenticated</c>, ...</param>
public sealed record ServerSpec(PodSelector PodSelector, string Port, string ProxyProtocol, string AccessPolicy);

public sealed record PodSelector(
    IReadOnlyDictionary<string, string>? MatchLabels = null,
    IReadOnlyList<LabelSelectorRequirement>? MatchExpressions = null);

public sealed record LabelSelectorRequirement(string Key, string Operator);

public static class LinkerdPolicy
{
    public const string Group = "policy.linkerd.io";
}
