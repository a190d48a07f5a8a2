using System.Collections.Immutable;
using System.Globalization;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Workloads;
using Infra.Mesh.Traffic;
using Infra.Mesh.Traffic.GatewayApi;
using k8s.Models;

namespace Infra.Mesh.Linkerd;

/// <summary>
/// Routing on Linkerd with Gateway API routes whose parent is the Service itself (GAMMA): the calling proxy applies
/// the route's timeout and retries and splits a canary's traffic by weight between per-version Services.
/// HTTP ports get an HTTPRoute, gRPC ports a GRPCRoute; TCP has no requests to route.
/// </summary>
public sealed class LinkerdTrafficPlanner : ITrafficPlanner
{
    public const string HttpRetryAnnotation = "retry.linkerd.io/http";
    public const string GrpcRetryAnnotation = "retry.linkerd.io/grpc";
    public const string RetryLimitAnnotation = "retry.linkerd.io/limit";
    public const string RetryTimeoutAnnotation = "retry.linkerd.io/timeout";
    public const string RequestTimeoutAnnotation = "timeout.linkerd.io/request";

    private static readonly string[] GrpcRetryConditions = ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"];

    public void Plan(PlanBuilder plan)
    {
        var injection = new LinkerdInjection(plan.Settings);
        plan.AddEach(plan.Settings.Services, (sink, service) =>
        {
            var backends = Backends(service);
            if (service.Canary is not null)
            {
                // Backends exist before the routes that send traffic to them.
                sink.Add(StageKind.Policies, VersionService(service, Labels.Stable, injection));
                sink.Add(StageKind.Policies, VersionService(service, Labels.Canary, injection));
            }

            // Under progressive delivery Flagger generates the HTTPRoute <service> on the routed port, weighted between its
            // -primary and -canary Services (fluxcd/flagger v1.44.0 pkg/router/gateway_api.go); a second route of ours on the
            // same parent port would compete with it. Other ports keep their routes to the Service, which Flagger points at
            // the primary pods.
            var flaggerRouted = sink.Settings.IsProgressive(service) ? service.HttpPort : null;
            foreach (var port in service.Ports.Where(p => p != flaggerRouted))
            {
                switch (port.Protocol)
                {
                    case PortProtocol.Http or PortProtocol.Http2:
                        sink.Add(StageKind.Policies, HttpRoute(service, port, backends));
                        break;
                    case PortProtocol.Grpc:
                        sink.Add(StageKind.Policies, GrpcRoute(service, port, backends));
                        break;
                }
            }
        });
    }

    /// <summary>The Service a version's pods are reached through: <c>&lt;service&gt;-stable</c> or <c>&lt;service&gt;-canary</c>.</summary>
    public static string VersionServiceName(ServiceSettings service, string version) => $"{service.Name}-{version}";

    public static string RouteName(ServiceSettings service, ServicePort port) => $"{service.Name}-{port.Name}";

    /// <summary>Where the default rule sends traffic: the Service itself, or stable and canary by weight (summing to 100).</summary>
    private static ImmutableArray<(string Service, int Weight)> Backends(ServiceSettings service) =>
        service.Canary is { } canary
            ? [(VersionServiceName(service, Labels.Stable), 100 - canary.Weight), (VersionServiceName(service, Labels.Canary), canary.Weight)]
            : [(service.Name, 100)];

    private static HttpRoute HttpRoute(ServiceSettings service, ServicePort port, ImmutableArray<(string Service, int Weight)> backends)
    {
        // A streaming port gets no timeout and no retries: Linkerd applies neither unless the route sets them.
        var timeouts = port.LongLived ? null : new HttpRouteTimeouts(service.Traffic.Timeout);
        var rules = new List<HttpRouteRule>();
        if (service.Canary is { } canary)
        {
            // Testers opt in to the canary with a header, whatever its weight.
            rules.Add(new HttpRouteRule(
                [new HttpRouteMatch(Headers: [new HttpHeaderMatch(canary.HeaderName, canary.HeaderValue)])],
                [new BackendReference(VersionServiceName(service, Labels.Canary), port.Port, 100)],
                timeouts));
        }

        rules.Add(new HttpRouteRule(BackendRefs: [.. backends.Select(b => new BackendReference(b.Service, port.Port, b.Weight))], Timeouts: timeouts));
        return new HttpRoute(
            Meta(service, RouteName(service, port), port.LongLived ? ImmutableSortedDictionary<string, string>.Empty : HttpRetryAnnotations(service)),
            new HttpRouteSpec([ParentReference.Service(service.Name, port.Port)], [.. rules]));
    }

    /// <summary>The retry annotations Linkerd reads on an HTTPRoute, for the service's retry settings.</summary>
    public static ImmutableSortedDictionary<string, string> HttpRetryAnnotations(ServiceSettings service) =>
        RetryAnnotations(service.Traffic.Retries, HttpRetryAnnotation, IsHttpRetryCondition);

    private static GrpcRoute GrpcRoute(ServiceSettings service, ServicePort port, ImmutableArray<(string Service, int Weight)> backends)
    {
        // GRPCRoute has no timeouts field in the standard channel; Linkerd reads the request timeout from an annotation.
        // A streaming port (server, client or bidirectional streams) gets neither timeout nor retry annotations.
        var annotations = port.LongLived
            ? ImmutableSortedDictionary<string, string>.Empty
            : RetryAnnotations(service.Traffic.Retries, GrpcRetryAnnotation, c => GrpcRetryConditions.Contains(c))
                .SetItem(RequestTimeoutAnnotation, service.Traffic.Timeout);
        var rules = new List<GrpcRouteRule>();
        if (service.Canary is { } canary)
        {
            rules.Add(new GrpcRouteRule(
                [new GrpcRouteMatch([new HttpHeaderMatch(canary.HeaderName, canary.HeaderValue)])],
                [new BackendReference(VersionServiceName(service, Labels.Canary), port.Port, 100)]));
        }

        rules.Add(new GrpcRouteRule(null, [.. backends.Select(b => new BackendReference(b.Service, port.Port, b.Weight))]));
        return new GrpcRoute(
            Meta(service, RouteName(service, port), annotations),
            new GrpcRouteSpec([ParentReference.Service(service.Name, port.Port)], [.. rules]));
    }

    /// <summary>
    /// Linkerd retries on response conditions only: the catalog's conditions it can express are kept, the rest
    /// (connect-failure, refused-stream, ...: failures Linkerd's load balancer already handles) are dropped, and with
    /// none left the route does not retry at all (a bare retry limit would retry every 5xx, unsafe for POSTs).
    /// </summary>
    private static ImmutableSortedDictionary<string, string> RetryAnnotations(RetrySettings retries, string conditionsAnnotation, Func<string, bool> expressible)
    {
        var conditions = retries.RetryOn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(expressible).ToList();
        if (retries.Attempts == 0 || conditions.Count == 0)
        {
            return ImmutableSortedDictionary<string, string>.Empty;
        }

        var annotations = ImmutableSortedDictionary<string, string>.Empty
            .Add(conditionsAnnotation, string.Join(',', conditions))
            .Add(RetryLimitAnnotation, retries.Attempts.ToString(CultureInfo.InvariantCulture));
        // A zero per-try timeout means none: the route's timeout alone bounds the attempts.
        return Durations.UnlessZero(retries.PerTryTimeout) is { } perTry ? annotations.Add(RetryTimeoutAnnotation, perTry) : annotations;
    }

    /// <summary>
    /// The conditions <c>retry.linkerd.io/http</c> accepts: 5xx, gateway-error, a status code (100 to 599) or an ascending
    /// range of them (<c>500-504</c>). The controller refuses the whole annotation for one condition it cannot parse, a
    /// descending range included (linkerd2 edge-26.8.3 policy-controller/k8s/index/src/outbound/index/http.rs parse_http_retry).
    /// </summary>
    public static bool IsHttpRetryCondition(string condition) =>
        condition is "5xx" or "gateway-error"
        || condition.Split('-') switch
        {
            [var code] => StatusCode(code) is not null,
            [var min, var max] => StatusCode(min) is { } low && StatusCode(max) is { } high && low <= high,
            _ => false,
        };

    private static int? StatusCode(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and < 600 ? code : null;

    private static V1Service VersionService(ServiceSettings service, string version, LinkerdInjection injection)
    {
        return new V1Service
        {
            Metadata = Labels.Meta(service, VersionServiceName(service, version), version),
            Spec = new V1ServiceSpec
            {
                Selector = Labels.Selector(service, version),
                Ports = WorkloadPlanner.ServicePorts(service, injection),
            },
        }.WithApiVersionAndKind();
    }

    private static V1ObjectMeta Meta(ServiceSettings service, string name, ImmutableSortedDictionary<string, string> annotations)
    {
        var meta = Labels.Meta(service, name);
        meta.Annotations = annotations.IsEmpty ? null : annotations.OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary();
        return meta;
    }
}
