using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

/// <summary>
/// The environment variables the platform sets on every service container. They are part of the settings contract:
/// the loader refuses a catalog that sets one of them again, and the workload planner sets them.
/// </summary>
public static class PlatformEnvironment
{
    /// <summary>The JVM flags (heap, GC, the service's own <c>jvm.options</c>).</summary>
    public const string JavaToolOptions = "JAVA_TOOL_OPTIONS";

    /// <summary>The path of the mounted <c>config.edn</c>.</summary>
    public const string ConfigPath = "CONFIG_PATH";

    /// <summary>The running version (<c>stable</c> or <c>canary</c>).</summary>
    public const string Version = "SERVICE_VERSION";

    /// <summary>The nREPL port, only where nREPL is enabled.</summary>
    public const string NreplPort = "NREPL_PORT";

    /// <summary>The nREPL bind address, only where nREPL is enabled.</summary>
    public const string NreplBind = "NREPL_BIND";

    /// <summary>Every variable above, in the order the error message lists them.</summary>
    public static ImmutableArray<string> Names { get; } = [JavaToolOptions, ConfigPath, Version, NreplPort, NreplBind];
}
