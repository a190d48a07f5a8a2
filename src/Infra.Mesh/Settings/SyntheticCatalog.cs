using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Settings;

/// <summary>
/// A deterministic, valid stack of any size, built in memory for benchmarks and scale tests: <c>N</c> services
/// (<c>svc-00000</c>...) in namespaces of <see cref="ServicesPerNamespace"/>, each with an HTTP and a metrics port,
/// an EDN config and environment, up to <see cref="CallsPerService"/> calls (some restricted to methods and paths,
/// many across namespaces), a canary on every tenth service and a public host on every hundredth.
/// The same arguments always give the same catalog, so runs at different sizes and on different days compare.
/// </summary>
public sealed class SyntheticCatalog : IStackConfigSource
{
    /// <summary>The stack name the catalog is loaded (and, by <see cref="WriteProject"/>, written) as.</summary>
    public const string Stack = "synthetic";

    public const int ServicesPerNamespace = 50;

    public const int CallsPerService = 5;

    /// <summary>Distances to the callees: near neighbours (same namespace) and far ones (other namespaces).</summary>
    private static readonly int[] CallOffsets = [1, 2, 51, 337, 2503];

    private readonly ImmutableSortedDictionary<string, ConfigEntry> _entries;

    private SyntheticCatalog(ImmutableSortedDictionary<string, ConfigEntry> entries) => _entries = entries;

    public string StackName => Stack;

    public string StackFile => $"Pulumi.{Stack}.yaml";

    public IReadOnlyCollection<string>? Keys => [.. _entries.Keys];

    public ConfigEntry? Find(string key) => _entries.GetValueOrDefault(key);

    public bool? HasSecret(string key) => _entries.TryGetValue(key, out var entry) && entry.IsSecret;

    /// <summary>
    /// A dev stack (STRICT mTLS, default deny) of <paramref name="services"/> services on <paramref name="mesh"/>, with the
    /// in-cluster verification Jobs unless <paramref name="verification"/> is false (<c>infra:verification.enabled</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="services"/> is below 1.</exception>
    public static SyntheticCatalog Create(int services, MeshKind mesh, bool verification = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(services, 1);
        var catalog = new YamlSequenceNode(Enumerable.Range(0, services).Select(i => Service(i, services)));
        var file = $"Pulumi.{Stack}.yaml";
        var entries = new Dictionary<string, ConfigEntry>
        {
            ["environment"] = new("environment", new YamlScalarNode("dev"), file, IsSecret: false),
            ["mesh"] = new("mesh", new YamlScalarNode(mesh == MeshKind.Linkerd ? "linkerd" : "istio"), file, IsSecret: false),
            ["services"] = new("services", catalog, "Pulumi.yaml", IsSecret: false),
        };
        if (!verification)
        {
            entries["verification"] = new("verification", new YamlMappingNode { { "enabled", "false" } }, file, IsSecret: false);
        }

        return new SyntheticCatalog(entries.ToImmutableSortedDictionary(StringComparer.Ordinal));
    }

    public static string Name(int index) => $"svc-{index.ToString("00000", CultureInfo.InvariantCulture)}";

    public static string Namespace(int index) => $"team-{(index / ServicesPerNamespace).ToString("000", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Writes the catalog as a Pulumi project (<c>Pulumi.yaml</c> and <c>Pulumi.synthetic.yaml</c>) into
    /// <paramref name="directory"/>, so whole-process commands (<c>infra render synthetic -p DIR</c>) can be timed.
    /// </summary>
    public void WriteProject(string directory)
    {
        Directory.CreateDirectory(directory);
        Write(Path.Combine(directory, "Pulumi.yaml"), new YamlMappingNode(
            new YamlScalarNode("name"), new YamlScalarNode("synthetic"),
            new YamlScalarNode("runtime"), new YamlScalarNode("dotnet"),
            new YamlScalarNode("config"), Section(e => e.File == "Pulumi.yaml", wrap: true)));
        Write(Path.Combine(directory, StackFile), new YamlMappingNode(
            new YamlScalarNode("config"), Section(e => e.File != "Pulumi.yaml", wrap: false)));

        YamlMappingNode Section(Func<ConfigEntry, bool> belongs, bool wrap) => new(_entries.Values.Where(belongs).Select(e =>
            KeyValuePair.Create<YamlNode, YamlNode>(
                new YamlScalarNode($"{ProjectConfigFiles.Namespace}:{e.Key}"),
                // Pulumi.yaml takes objects and lists only wrapped in value: (Pulumi's rule, which ProjectConfigFiles follows).
                wrap ? new YamlMappingNode(new YamlScalarNode("value"), e.Value) : e.Value)));

        static void Write(string path, YamlMappingNode root)
        {
            using var writer = new StreamWriter(path);
            new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        }
    }

    private static YamlMappingNode Service(int i, int count)
    {
        var name = Name(i);
        var service = new YamlMappingNode
        {
            { "name", name },
            { "namespace", Namespace(i) },
            { "image", $"ghcr.io/acme/{name}:1.{(i % 7).ToString(CultureInfo.InvariantCulture)}.0" },
            { "replicas", (1 + (i % 3)).ToString(CultureInfo.InvariantCulture) },
            {
                "ports", new YamlSequenceNode(
                    Port("http", "8080", "http"),
                    Port("metrics", "9090", "http"))
            },
            { "metrics", new YamlMappingNode { { "port", "metrics" }, { "path", "/metrics" } } },
            {
                "config", new YamlMappingNode
                {
                    { "reload", i % 2 == 0 ? "live" : "restart" },
                    {
                        "edn", new YamlMappingNode
                        {
                            { "server", new YamlMappingNode { { "port", "8080" }, { "max-threads", "32" } } },
                            { "log-level", ":info" },
                            { "feature-flags", new YamlSequenceNode(new YamlScalarNode(":fast-path"), new YamlScalarNode(":audit")) },
                        }
                    },
                    { "env", new YamlMappingNode { { "LOG_FORMAT", "json" } } },
                }
            },
        };

        var calls = Callees(i, count).Select((callee, k) => k switch
        {
            // Restricted calls exercise the method/path authorization of both meshes.
            1 => new YamlMappingNode
            {
                { "service", Name(callee) },
                { "methods", new YamlSequenceNode(new YamlScalarNode("GET")) },
                { "paths", new YamlSequenceNode(new YamlScalarNode("/api/v1/*")) },
            },
            2 => new YamlMappingNode
            {
                { "service", Name(callee) },
                { "methods", new YamlSequenceNode(new YamlScalarNode("GET"), new YamlScalarNode("POST")) },
                { "paths", new YamlSequenceNode(new YamlScalarNode($"/{name}/orders"), new YamlScalarNode("/shared/*")) },
            },
            _ => (YamlNode)new YamlScalarNode(Name(callee)),
        }).ToList();
        if (calls.Count > 0)
        {
            service.Add("calls", new YamlSequenceNode(calls));
        }

        if (i % 10 == 3)
        {
            service.Add("canary", new YamlMappingNode { { "tag", "2.0.0-rc.1" }, { "weight", "10" } });
        }

        if (i % 100 == 0)
        {
            service.Add("public", new YamlMappingNode { { "host", $"{name}.acme.example" } });
        }

        return service;
    }

    /// <summary>Distinct callees other than the caller itself (fewer in catalogs too small for five).</summary>
    private static IEnumerable<int> Callees(int caller, int count) =>
        CallOffsets.Select(offset => (caller + offset) % count).Where(callee => callee != caller).Distinct();

    private static YamlMappingNode Port(string name, string number, string protocol) =>
        new() { { "name", name }, { "port", number }, { "protocol", protocol } };
}
