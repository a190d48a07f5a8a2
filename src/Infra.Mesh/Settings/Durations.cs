using System.Globalization;

namespace Infra.Mesh.Settings;

/// <summary>Durations as the settings spell them (<c>250ms</c>, <c>5s</c>, <c>1m</c>, <c>1h</c>; see Names.Duration).</summary>
public static class Durations
{
    /// <summary>A duration's length in milliseconds.</summary>
    public static long Milliseconds(string duration)
    {
        var unitStart = duration.IndexOfAny(['m', 's', 'h']);
        var number = long.Parse(duration[..unitStart], NumberStyles.None, CultureInfo.InvariantCulture);
        return duration[unitStart..] switch
        {
            "ms" => number,
            "s" => number * 1000,
            "m" => number * 60_000,
            _ => number * 3_600_000,
        };
    }

    /// <summary>The duration, or null when it is zero: meshes take an absent timeout as "none", and Istio's schema refuses 0s.</summary>
    public static string? UnlessZero(string duration) => Milliseconds(duration) == 0 ? null : duration;
}
