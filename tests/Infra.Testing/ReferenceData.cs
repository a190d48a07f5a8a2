namespace Infra.Testing;

/// <summary>Locates the upstream reference data (CRDs, chart values) in <c>shared/reference</c> next to the repo checkout.</summary>
public static class ReferenceData
{
    public const string IstioVersion = "1.30.3";
    public const string LinkerdVersion = "edge-26.8.3";
    public const string LinkerdChartVersion = "2026.8.3";
    public const string GatewayApiVersion = "v1.5.1";
    public const string FlaggerVersion = "v1.44.0";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>Absolute path of the <c>shared/reference</c> folder.</summary>
    public static string Root => LazyRoot.Value;

    public static string IstioCrds => Path("istio", IstioVersion, "crds", "crd-all.gen.yaml");

    public static string LinkerdCrds => Path("linkerd", LinkerdVersion, "crds");

    public static string GatewayApiCrds => Path("gateway-api", GatewayApiVersion, "standard");

    /// <summary>Flagger's Canary, MetricTemplate and AlertProvider CRDs.</summary>
    public static string FlaggerCrds => Path("flagger", FlaggerVersion, "crds", "crd.yaml");

    /// <summary>Folder of a Flagger chart (flagger, loadtester).</summary>
    public static string FlaggerChart(string chart) => Path("flagger", FlaggerVersion, "charts", chart);

    /// <summary>A path below <see cref="Root"/>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Folder of an Istio chart (base, istiod, gateway, ztunnel, cni).</summary>
    public static string IstioChart(string chart) => Path("istio", IstioVersion, "charts", chart);

    /// <summary>Folder of a Linkerd chart (linkerd-crds, linkerd-control-plane, linkerd-viz).</summary>
    public static string LinkerdChart(string chart) => Path("linkerd", LinkerdVersion, "charts", chart);

    // The repo checkout (e.g. /work/main) is a sibling of shared/, so some ancestor of the test binaries holds shared/reference.
    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "reference");
            if (File.Exists(System.IO.Path.Combine(candidate, "README.md")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"No ancestor of '{AppContext.BaseDirectory}' contains shared/reference/README.md; " +
            "the upstream reference data must sit next to the repo checkout (../shared/reference).");
    }
}
