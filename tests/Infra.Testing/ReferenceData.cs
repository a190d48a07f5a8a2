namespace Infra.Testing;

/// <summary>
/// The upstream reference data (CRDs, chart values) the tests check against, found or fetched as
/// <see cref="ReferenceLocator"/> describes, and the pinned versions it holds.
/// </summary>
public static class ReferenceData
{
    public const string IstioVersion = "1.30.3";
    public const string LinkerdVersion = "edge-26.8.3";
    public const string LinkerdChartVersion = "2026.8.3";
    public const string GatewayApiVersion = "v1.5.1";
    public const string FlaggerVersion = "v1.44.0";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    // Located once per test process; a failure is kept too, so every test that needs the data reports the same error.
    private static readonly Lazy<string> LazyRoot = new(() =>
        ReferenceLocator.LocateAsync(ReferenceManifest.Pinned, ReferenceSources.FromEnvironment(), Http, CancellationToken.None)
            .GetAwaiter().GetResult());

    /// <summary>
    /// Absolute path of the reference directory (layout of <c>reference-data.json</c>). Throws
    /// <see cref="ReferenceDataUnavailableException"/> with what to do when no source has the data.
    /// </summary>
    public static string Root => LazyRoot.Value;

    public static string IstioCrds => Path("istio", IstioVersion, "crds", "crd-all.gen.yaml");

    public static string LinkerdCrds => Path("linkerd", LinkerdVersion, "crds");

    public static string GatewayApiCrds => Path("gateway-api", GatewayApiVersion, "standard");

    /// <summary>Flagger's Canary, MetricTemplate and AlertProvider CRDs.</summary>
    public static string FlaggerCrds => Path("flagger", FlaggerVersion, "crds", "crd.yaml");

    /// <summary>Folder of a Flagger chart (flagger, loadtester).</summary>
    public static string FlaggerChart(string chart) => Path("flagger", FlaggerVersion, "charts", chart);


    /// <summary>
    /// A file of the manifest, or a directory holding some, below <see cref="Root"/>. Anything else throws
    /// <see cref="ArgumentException"/>: the tests read only what the manifest pins and verifies.
    /// </summary>
    public static string Path(params string[] parts)
    {
        var relative = string.Join('/', parts);
        return ReferenceManifest.Pinned.Covers(relative)
            ? System.IO.Path.Combine([Root, .. parts])
            : throw new ArgumentException($"'{relative}' is not in the reference manifest (reference-data.json of Infra.Testing); add it there to use it.", nameof(parts));
    }

    /// <summary>Folder of an Istio chart (base, istiod, gateway, ztunnel, cni).</summary>
    public static string IstioChart(string chart) => Path("istio", IstioVersion, "charts", chart);

    /// <summary>Folder of a Linkerd chart (linkerd-crds, linkerd-control-plane, linkerd-viz).</summary>
    /// <summary>An addon chart's folder: <c>addons/&lt;chart&gt;-&lt;version&gt;</c> (prometheus, grafana, kiali-server, jaeger).</summary>
    public static string AddonChart(string chart, string version) => Path("addons", $"{chart}-{version}");

    public static string LinkerdChart(string chart) => Path("linkerd", LinkerdVersion, "charts", chart);
}
