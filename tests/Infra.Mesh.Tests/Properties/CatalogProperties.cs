using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Infra.Mesh.Analysis;
using Infra.Mesh.Rendering;
using Infra.Mesh.Settings;
using Infra.Mesh.Tests.Linkerd;
using Infra.Testing.Support;
using Infra.Testing;

namespace Infra.Mesh.Tests.Properties;

/// <summary>
/// Properties that must hold for every valid catalog, on both meshes, checked over generated catalogs
/// (<see cref="GeneratedCatalog"/>) read from files as the tools read a user's: validation never throws, the plan
/// is deterministic, every object fits its reference schema, every declared call is authorized and nothing else,
/// route weights sum to 100, no secret text reaches a rendered file, every generated name is within Kubernetes'
/// limits; and invalid mutations are reported as settings errors, never thrown as anything else.
/// Seeded and bounded (<see cref="Iterations"/> catalogs per mesh) so CI stays fast; CsCheck shrinks a failure and
/// prints the seed that reproduces it.
/// </summary>
public partial class CatalogProperties
{
    private const int Iterations = 20;

    /// <summary>CsCheck's seed of the one sample of <see cref="Iterations"/> catalogs each property checks, so every run checks the same ones.</summary>
    private const string Seed = "7Xa1infra0Q2";

    private static readonly CrdSchemaCatalog[] Crds = [CrdSchemaCatalog.Istio(), CrdSchemaCatalog.Linkerd(), CrdSchemaCatalog.GatewayApi()];

    public static TheoryData<string> Meshes => ["istio", "linkerd"];

    [Theory]
    [MemberData(nameof(Meshes))]
    public void Valid_catalogs_plan_deterministically_into_schema_valid_objects_with_names_in_limits(string mesh) =>
        Catalogs(mesh).Sample(catalogs => Assert.All(catalogs, catalog =>
        {
            var (analysis, files) = Load(catalog);
            var again = PlanRenderer.Render(Load(catalog).Analysis.Plan);
            Assert.Equal(files.Select(f => (f.Path, f.Content)), again.Select(f => (f.Path, f.Content)));

            var objects = analysis.Plan.Stages.SelectMany(PlanRenderer.Objects).ToList();
            Assert.Empty(objects.SelectMany(SchemaErrors));
            Assert.Empty(objects.SelectMany(NameErrors));
        }), seed: Seed, iter: 1, threads: 1);

    [Theory]
    [MemberData(nameof(Meshes))]
    public void No_secret_text_appears_in_any_rendered_file(string mesh) =>
        Catalogs(mesh).Sample(catalogs => Assert.All(catalogs, catalog =>
        {
            var (_, files) = Load(catalog);
            foreach (var service in catalog.Services)
            {
                Assert.DoesNotContain(files, f => f.Content.ToString().Contains(service.SecretMarker, StringComparison.Ordinal));
            }
        }), seed: Seed, iter: 1, threads: 1);

    [Theory]
    [MemberData(nameof(Meshes))]
    public void Route_weights_sum_to_100(string mesh) =>
        Catalogs(mesh).Sample(catalogs => Assert.All(catalogs, catalog =>
        {
            var objects = Load(catalog).Analysis.Plan.Stages.SelectMany(PlanRenderer.Objects).ToList();
            var splits = mesh == "istio"
                ? objects.OfKind("VirtualService").SelectMany(v => v["spec"]!["http"].Items()).Select(r => r["route"].Items().Select(d => (int?)d["weight"] ?? 100).ToList())
                : objects.Where(o => (string?)o["kind"] is "HTTPRoute" or "GRPCRoute").SelectMany(r => r["spec"]!["rules"].Items())
                    .Where(rule => rule["backendRefs"] is JsonArray).Select(rule => rule["backendRefs"].Items().Select(b => (int?)b["weight"] ?? 1).ToList())
                    .Where(weights => weights.Count > 1);
            Assert.All(splits, weights => Assert.Equal(100, weights.Sum()));
        }), seed: Seed, iter: 1, threads: 1);

    /// <summary>
    /// For every meshed callee, every caller (and a stranger no call names) and a set of requests: allowed exactly when a
    /// declared call covers the method and path. Istio is judged by <see cref="IstioAuthorizationModel"/>, Linkerd by
    /// the <see cref="InboundPolicyModel"/> the Linkerd tests use.
    /// </summary>
    [Theory]
    [MemberData(nameof(Meshes))]
    public void Every_declared_call_is_authorized_and_nothing_else(string mesh) =>
        Catalogs(mesh).Sample(catalogs => Assert.All(catalogs, catalog =>
        {
            var settings = Load(catalog).Analysis.Settings;
            var objects = Load(catalog).Analysis.Plan.Stages.SelectMany(PlanRenderer.Objects).ToList();
            var istio = new IstioAuthorizationModel(objects, IstioSettings.SystemNamespace);
            var linkerd = new InboundPolicyModel(objects);
            string[] requestPaths = ["/a", "/a/x", "/items", "/items/x", "/zzz"];
            var callers = settings.Services.Where(s => s.Injected).Select(s => (s.Namespace, Account: s.ServiceAccount, Service: (ServiceSettings?)s))
                .Append((Namespace: settings.Services[0].Namespace, Account: "stranger", Service: (ServiceSettings?)null))
                .Append((Namespace: settings.Services[0].Namespace, Account: PlainText, Service: (ServiceSettings?)null)).ToList();
            var openedCalls = settings.Services.Where(s => !s.Injected).SelectMany(s => s.Calls).Where(c => c.Unauthenticated).ToList();
            foreach (var callee in settings.Services.Where(s => s.Injected))
            {
                // Calls opened with unauthenticated: true admit plain text: on Istio only clients without an identity
                // (notPrincipals ["*"]), on Linkerd any client (a NetworkAuthentication cannot tell them apart).
                var opened = openedCalls.Where(c => c.Service == callee.Name).ToList();
                foreach (var (ns, account, caller) in callers)
                {
                    var declared = caller?.Calls.Where(c => c.Service == callee.Name) ?? [];
                    var calls = (account == PlainText ? opened : mesh == "linkerd" ? declared.Concat(opened) : declared).ToList();
                    foreach (var method in GeneratedCatalog.Methods)
                    {
                        foreach (var path in requestPaths)
                        {
                            if (Ambiguous(calls, path))
                            {
                                continue;
                            }

                            var expected = calls.Any(c => (c.Methods.IsEmpty || c.Methods.Contains(method)) && (c.Paths.IsEmpty || c.Paths.Any(p => Covers(p, path))));
                            var actual = mesh == "istio"
                                ? istio.Allows(callee.Namespace, new Dictionary<string, string> { ["app"] = callee.Name },
                                    account == PlainText ? null : $"cluster.local/ns/{ns}/sa/{account}", method, path, callee.HttpPort.Port)
                                : linkerd.Allows(callee.Namespace, linkerd.ServerFor(callee.Namespace, callee.Name, callee.HttpPort.Name),
                                    account == PlainText ? InboundPolicyModel.Unauthenticated : $"{account}/{ns}", method, path);
                            Assert.True(expected == actual, $"{account}.{ns} -> {callee.Name} {method} {path}: expected {(expected ? "allowed" : "denied")}");
                        }
                    }
                }
            }
        }), seed: Seed, iter: 1, threads: 1);

    /// <summary>
    /// INFRA145 names exactly the calls whose caller has no proxy and whose callee runs a canary, and INFRA111's
    /// controller objects (waypoints, Flagger's copies) never coincide with a planned object of a valid catalog.
    /// </summary>
    [Theory]
    [MemberData(nameof(Meshes))]
    public void Canary_bypass_is_reported_for_exactly_the_uninjected_callers_of_a_canary_and_controller_objects_are_free(string mesh) =>
        Catalogs(mesh).Sample(catalogs => Assert.All(catalogs, catalog =>
        {
            var analysis = Load(catalog).Analysis;
            var settings = analysis.Settings;
            var expected = settings.Services.Where(s => !s.Injected)
                .SelectMany(caller => caller.Calls.Select((call, i) => (Caller: caller.Name, Index: i, Callee: settings.Services.Single(s => s.Name == call.Service))))
                .Where(c => c.Callee.Canary is not null)
                .Select(c => $"infra:services[{c.Caller}].calls[{c.Index}]")
                .Order(StringComparer.Ordinal);
            var reported = analysis.Warnings.Where(w => w.Rule == RuleCatalog.CanaryBypassed).Select(w => w.Key).Order(StringComparer.Ordinal);
            Assert.Equal(expected, reported);

            var planned = analysis.Plan.Items.OfType<Planning.ManifestItem>().Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
            Assert.DoesNotContain(ControllerObjects.Of(analysis.Plan), o => planned.Contains(o.Id));
        }), seed: Seed, iter: 1, threads: 1);

    [Theory]
    [MemberData(nameof(Meshes))]
    public void Invalid_mutations_are_settings_errors_never_exceptions(string mesh) =>
        Gen.Select(GeneratedCatalog.For(mesh), Gen.Int[0, Mutations.Length - 1]).Array[Iterations, Iterations].Sample(cases => Assert.All(cases, c =>
        {
            var (catalog, mutation) = c;
            using var directory = new ScratchDirectory();
            catalog.Write(directory.Path);
            var project = Path.Combine(directory.Path, "Pulumi.yaml");
            File.WriteAllText(project, Mutations[mutation](File.ReadAllText(project), catalog));

            var error = Assert.Throws<SettingsException>(() => StackAnalyzer.Load(ProjectConfigFiles.Load(directory.Path, GeneratedCatalog.Stack)));

            Assert.NotEmpty(error.Errors);
            Assert.All(error.Errors, e => Assert.False(string.IsNullOrEmpty(e.File) || string.IsNullOrEmpty(e.Key), e.ToString()));
        }), seed: Seed, iter: 1, threads: 1);

    [Theory]
    [MemberData(nameof(Meshes))]
    public void A_settings_error_in_one_service_does_not_hide_a_rule_error_in_another(string mesh) =>
        GeneratedCatalog.For(mesh).Where(c => c.Services.Length >= 2 && c.Services[^1].Injected).Array[Iterations, Iterations].Sample(catalogs => Assert.All(catalogs, catalog =>
        {
            // The first service's replicas do not parse; the last one (meshed) has its first port on one the proxy reserves (INFRA120).
            var (broken, reserved) = (catalog.Services[0], catalog.Services[^1]);
            var port = reserved.Ports[0];
            using var directory = new ScratchDirectory();
            catalog.Write(directory.Path);
            var project = Path.Combine(directory.Path, "Pulumi.yaml");
            var text = FirstReplace(File.ReadAllText(project), $"replicas: {broken.Replicas}\n", "replicas: many\n");
            var entry = text.IndexOf($"      - name: {reserved.Name}\n", StringComparison.Ordinal);
            File.WriteAllText(project, text[..entry] + FirstReplace(text[entry..], $"port: {port.Number},", catalog.Mesh == "istio" ? "port: 15006," : "port: 4143,"));

            var error = Assert.Throws<SettingsException>(() => StackAnalyzer.Load(ProjectConfigFiles.Load(directory.Path, GeneratedCatalog.Stack)));

            Assert.Contains(error.Errors, e => e.Key == $"infra:services[{broken.Name}].replicas" && e.Line is not null);
            Assert.Contains(error.Errors, e => e.Key == $"infra:services[{reserved.Name}].ports[{port.Name}].port" && e.Message.StartsWith("INFRA120:", StringComparison.Ordinal) && e.Line is not null);
            Assert.Contains(error.Skipped, s => s.Contains($"services {broken.Name} ", StringComparison.Ordinal));
        }), seed: Seed, iter: 1, threads: 1);

    private static Gen<GeneratedCatalog[]> Catalogs(string mesh) => GeneratedCatalog.For(mesh).Array[Iterations, Iterations];

    /// <summary>Edits of Pulumi.yaml that no valid catalog survives, each a kind of mistake a user makes.</summary>
    private static readonly Func<string, GeneratedCatalog, string>[] Mutations =
    [
        (text, _) => FirstReplace(text, "        replicas: ", "        replicas: many #"),
        (text, _) => FirstReplace(text, "port: 8080", "port: 70000"),
        (text, _) => FirstReplace(text, "protocol: http}", "protocol: udp}"),
        (text, _) => FirstReplace(text, "        inject: ", "        injekt: "),
        (text, c) => FirstReplace(text, $"namespace: {c.Services[0].Namespace}", "namespace: kube-system"),
        (text, c) => FirstReplace(text, "port: 8080", c.Mesh == "istio" ? "port: 15006" : "port: 4143"),
        (text, c) => text + Entry(c.Services[0].Name, c.Services[0].Namespace),
        (text, c) => text + Entry("mesh-verifier", c.Services[0].Namespace),
        (text, c) => FirstReplace(text, $"image: ghcr.io/acme/{c.Services[0].Name}:1.0.0", $"image: ghcr.io/acme/{c.Services[0].Name}"),
        (text, c) => text + Entry(c.Services[0].Name + "-canary", c.Services[0].Namespace) + "        canary: {tag: 2.0.0, weight: 150}\n",
    ];

    private static string Entry(string name, string ns) =>
        $"      - name: {name}\n        namespace: {ns}\n        image: ghcr.io/acme/x:1.0.0\n        ports:\n          - {{name: web, port: 8080, protocol: http}}\n";

    private static string FirstReplace(string text, string old, string replacement)
    {
        var at = text.IndexOf(old, StringComparison.Ordinal);
        Assert.True(at >= 0, $"the generated catalog has no '{old}'");
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + old.Length));
    }

    private static (StackAnalysis Analysis, IReadOnlyList<RenderedFile> Files) Load(GeneratedCatalog catalog)
    {
        using var directory = new ScratchDirectory();
        catalog.Write(directory.Path);
        var analysis = StackAnalyzer.Load(ProjectConfigFiles.Load(directory.Path, GeneratedCatalog.Stack));
        return (analysis, PlanRenderer.Render(analysis.Plan));
    }

    /// <summary>A request on <c>/a</c> when a call allows only <c>/a/*</c>: Istio reads that as below /a/, Linkerd as the prefix /a; the catalog does not say which.</summary>
    /// <summary>The client without a proxy (plain text, no identity) the authorization property also sends requests as.</summary>
    private const string PlainText = "<plain text>";

    private static bool Ambiguous(IEnumerable<CallSettings> calls, string path) =>
        calls.Any(c => c.Paths.Contains(path + "/*")) && !calls.Any(c => c.Paths.Contains(path) || c.Paths.IsEmpty);

    private static bool Covers(string pattern, string path) =>
        pattern == path || (pattern.EndsWith("/*", StringComparison.Ordinal) && path.StartsWith(pattern[..^1], StringComparison.Ordinal));

    private static IEnumerable<string> SchemaErrors(JsonObject obj)
    {
        var apiVersion = (string)obj["apiVersion"]!;
        var kind = (string)obj["kind"]!;
        if (BuiltinObjectValidator.Knows(apiVersion, kind))
        {
            return BuiltinObjectValidator.Validate(obj);
        }

        return Crds.FirstOrDefault(c => c.Knows(apiVersion, kind)) is { } crds ? crds.Validate(obj) : [$"{apiVersion} {kind}: no schema"];
    }

    /// <summary>Kubernetes' limits, checked here independently of the planner's and the rules' own code.</summary>
    private static IEnumerable<string> NameErrors(JsonObject obj)
    {
        var kind = (string)obj["kind"]!;
        var name = obj.Name();
        var limit = kind is "Service" or "Namespace" or "Job" ? 63 : 253;
        if (name.Length > limit || !Subdomain().IsMatch(name))
        {
            yield return $"{kind} {name}: not a name of at most {limit}";
        }

        var labels = new[] { obj["metadata"]?["labels"], obj["spec"]?["template"]?["metadata"]?["labels"] }.OfType<JsonObject>().SelectMany(l => l);
        foreach (var (key, value) in labels)
        {
            if (((string?)value)?.Length > 63)
            {
                yield return $"{kind} {name}: label {key} longer than 63";
            }
        }
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    /// <summary>A temp directory for one generated project, removed afterwards.</summary>
    private sealed class ScratchDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("infra-property-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
