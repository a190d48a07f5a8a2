using System.Globalization;
using System.Text;
using CsCheck;

namespace Infra.Mesh.Tests.Properties;

/// <summary>A port of a generated service; <paramref name="Streaming"/> is its <c>streaming</c> key, null when not set.</summary>
public sealed record GeneratedPort(string Name, int Number, string Protocol, bool? Streaming = null);

/// <summary>
/// A declared call: to the service at <paramref name="Target"/>, optionally restricted to methods and paths;
/// <paramref name="Unauthenticated"/>: opened to plain text (the caller is uninjected).
/// </summary>
public sealed record GeneratedCall(int Target, string[] Methods, string[] Paths, bool Unauthenticated = false);

/// <summary>A generated service; <paramref name="SecretMarker"/> is the ciphertext of its secret in the stack file.</summary>
public sealed record GeneratedService(
    string Name,
    string Namespace,
    int Replicas,
    GeneratedPort[] Ports,
    GeneratedCall[] Calls,
    bool Injected,
    int? CanaryWeight,
    string Timeout,
    string SecretMarker,
    bool Public);

/// <summary>
/// A valid catalog and stack, generated: 1..5 services in 1..3 namespaces, each with an HTTP port first (its health
/// port) and up to two more of any protocol (streaming or not), calls to any service including itself (some restricted to methods and
/// paths), canaries, zero and non-zero timeouts, a secret each, uninjected services whose calls are opened with
/// <c>unauthenticated: true</c> (outside prod, which refuses them; in prod they call nothing), public hosts
/// on Istio; dev or prod, Istio or Linkerd. Written as the project's files are (<see cref="Write"/>), so the tools
/// read it exactly as they read a user's.
/// </summary>
public sealed record GeneratedCatalog(string Mesh, string Environment, GeneratedService[] Services)
{
    public const string Stack = "generated";

    public static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH"];

    private static readonly string[] PathChoices = ["/a", "/a/*", "/items", "/items/*", "/items/x"];
    private static readonly string[] NameStems = ["a", "api", "worker", "ledgerservice", "averyveryverylongservicename"];
    private static readonly string[] Timeouts = ["0s", "2s", "15s", "750ms"];
    private static readonly string[] Protocols = ["http", "http2", "grpc", "tcp"];

    public bool Production => Environment == "prod";

    public static Gen<GeneratedCatalog> For(string mesh) =>
        from environment in Gen.OneOf("dev", "prod")
        from count in Gen.Int[1, 5]
        from namespaces in Gen.Int[1, 3]
        from services in Service(mesh, count, namespaces, environment == "prod").Array[count, count]
        select new GeneratedCatalog(mesh, environment, [.. services.Select((s, i) => s(i))]);

    /// <summary>A service as a function of its index (names and ports are made unique by it).</summary>
    private static Gen<Func<int, GeneratedService>> Service(string mesh, int count, int namespaces, bool production) =>
        from stem in Gen.OneOf(NameStems)
        from ns in Gen.Int[0, namespaces - 1]
        from replicas in Gen.Int[1, 3]
        from extraPorts in Gen.OneOf(Protocols).Array[0, 2]
        from calls in Call(count).Array[0, 3]
        from injected in Gen.Int[0, 5]
        from canary in Gen.Int[-1, 100]
        from timeout in Gen.OneOf(Timeouts)
        from secret in Gen.Int[0, int.MaxValue]
        from exposed in Gen.Int[0, 3]
        from streaming in Gen.Int[0, 2]
        select new Func<int, GeneratedService>(i =>
        {
            var uninjected = injected == 0;
            return new GeneratedService(
                $"{stem}{i.ToString(CultureInfo.InvariantCulture)}",
                $"team{ns.ToString(CultureInfo.InvariantCulture)}",
                replicas,
                [
                    new("web", 8080, "http"),
                    // The extra HTTP, HTTP/2 and gRPC ports declare streaming: true, false, or nothing.
                    .. extraPorts.Select((p, j) => new GeneratedPort($"p{j}{p}", 9000 + j, p, p == "tcp" || streaming == 0 ? null : streaming == 1)),
                ],
                // An uninjected service has no identity to call meshed services with (rule INFRA101): outside prod its calls
                // are opened to plain text (INFRA105, an error in prod, where it calls nothing).
                uninjected
                    ? production ? [] : [.. calls.DistinctBy(c => c.Target).Select(c => c with { Unauthenticated = true })]
                    : [.. calls.DistinctBy(c => c.Target)],
                !uninjected,
                canary < 0 ? null : canary,
                timeout,
                $"v1:{secret.ToString("x8", CultureInfo.InvariantCulture)}PROPERTYSECRET",
                mesh == "istio" && exposed == 0);
        });

    private static Gen<GeneratedCall> Call(int count) =>
        from target in Gen.Int[0, count - 1]
        from methods in Gen.OneOf(Methods).Array[0, 2]
        from paths in Gen.OneOf(PathChoices).Array[0, 2]
        select new GeneratedCall(target, [.. methods.Distinct()], [.. paths.Distinct()]);

    /// <summary>Writes Pulumi.yaml (the catalog) and Pulumi.generated.yaml into <paramref name="directory"/>.</summary>
    public void Write(string directory)
    {
        var project = new StringBuilder("name: generated\nruntime: dotnet\nconfig:\n  infra:services:\n    value:\n");
        foreach (var service in Services)
        {
            project.Append(CultureInfo.InvariantCulture, $"      - name: {service.Name}\n        namespace: {service.Namespace}\n");
            project.Append(CultureInfo.InvariantCulture, $"        image: ghcr.io/acme/{service.Name}:1.0.0\n        replicas: {service.Replicas}\n        ports:\n");
            foreach (var port in service.Ports)
            {
                var streams = port.Streaming is { } s ? $", streaming: {(s ? "true" : "false")}" : "";
                project.Append(CultureInfo.InvariantCulture, $"          - {{name: {port.Name}, port: {port.Number}, protocol: {port.Protocol}{streams}}}\n");
            }

            project.Append(CultureInfo.InvariantCulture, $"        inject: {(service.Injected ? "true" : "false")}\n");
            project.Append(CultureInfo.InvariantCulture, $"        traffic: {{timeout: {service.Timeout}}}\n");
            project.Append(CultureInfo.InvariantCulture, $"        secrets: {{API_TOKEN: {service.Name}Token}}\n");
            if (service.CanaryWeight is { } weight)
            {
                // In prod a one-pod canary under outlier detection could lose its only endpoint (INFRA144, an error there).
                project.Append(CultureInfo.InvariantCulture, $"        canary: {{tag: 2.0.0, weight: {weight}, replicas: {(Production ? 2 : 1)}}}\n");
            }

            if (service.Public)
            {
                project.Append(CultureInfo.InvariantCulture, $"        public: {{host: {service.Name}.acme.example}}\n");
            }

            if (service.Calls.Length > 0)
            {
                project.Append("        calls:\n");
                foreach (var call in service.Calls)
                {
                    project.Append(CultureInfo.InvariantCulture, $"          - {{service: {Services[call.Target].Name}");
                    if (call.Methods.Length > 0)
                    {
                        project.Append(CultureInfo.InvariantCulture, $", methods: [{string.Join(", ", call.Methods)}]");
                    }

                    if (call.Paths.Length > 0)
                    {
                        project.Append(CultureInfo.InvariantCulture, $", paths: [{string.Join(", ", call.Paths.Select(p => $"\"{p}\""))}]");
                    }

                    if (call.Unauthenticated)
                    {
                        project.Append(", unauthenticated: true");
                    }

                    project.Append("}\n");
                }
            }
        }

        var stack = new StringBuilder().Append(CultureInfo.InvariantCulture, $"config:\n  infra:environment: {Environment}\n  infra:mesh: {Mesh}\n");
        foreach (var service in Services)
        {
            stack.Append(CultureInfo.InvariantCulture, $"  infra:{service.Name}Token:\n    secure: {service.SecretMarker}\n");
        }

        File.WriteAllText(Path.Combine(directory, "Pulumi.yaml"), project.ToString());
        File.WriteAllText(Path.Combine(directory, $"Pulumi.{Stack}.yaml"), stack.ToString());
    }
}
