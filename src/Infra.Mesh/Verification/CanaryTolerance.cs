namespace Infra.Mesh.Verification;

/// <summary>
/// How many of <see cref="Requests"/> requests may reach a canary that takes <see cref="WeightPercent"/> percent of
/// the traffic before the check calls the split broken.
/// </summary>
/// <remarks>
/// Each request is routed independently (Envoy's weighted clusters and Linkerd's weighted backends both pick per
/// request), so with a correct split the number that reaches the canary, X, is Binomial(n, p) with p = weight / 100.
/// The accepted range [<see cref="Min"/>, <see cref="Max"/>] is the exact central interval: Min is the largest k with
/// P(X &lt; k) ≤ α/2 and Max the smallest k with P(X &gt; k) ≤ α/2, so a correct split fails the check with probability
/// at most α = <see cref="FalseAlarmRate"/> (one run in a thousand), whatever n and p. Weights 0 and 100 give the
/// exact ranges [0, 0] and [n, n]. For n = 200 and weight 10 the range is 8..35 of 200 (mean 20).
/// </remarks>
public sealed record CanaryTolerance(int Requests, int WeightPercent, int Min, int Max)
{
    /// <summary>The probability α that a correctly split canary fails the check.</summary>
    public const double FalseAlarmRate = 0.001;

    /// <summary>The accepted range for <paramref name="requests"/> requests (1..100000) to a canary of <paramref name="weightPercent"/> (0..100).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside those ranges.</exception>
    public static CanaryTolerance Of(int requests, int weightPercent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requests, 100_000);
        ArgumentOutOfRangeException.ThrowIfLessThan(weightPercent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weightPercent, 100);
        if (weightPercent is 0 or 100)
        {
            var all = weightPercent == 100 ? requests : 0;
            return new CanaryTolerance(requests, weightPercent, all, all);
        }

        var p = weightPercent / 100.0;
        var tail = FalseAlarmRate / 2;
        var pmf = Pmf(requests, p);

        // Min: the largest k with P(X < k) <= tail.
        var min = 0;
        var below = 0.0;
        while (min < requests && below + pmf[min] <= tail)
        {
            below += pmf[min];
            min++;
        }

        // Max: the smallest k with P(X > k) <= tail.
        var max = requests;
        var above = 0.0;
        while (max > 0 && above + pmf[max] <= tail)
        {
            above += pmf[max];
            max--;
        }

        return new CanaryTolerance(requests, weightPercent, min, max);
    }

    /// <summary>P(X = k) for k = 0..n, computed in log space so that large n neither overflows nor underflows early.</summary>
    private static double[] Pmf(int n, double p)
    {
        var pmf = new double[n + 1];
        var logP = Math.Log(p);
        var logQ = Math.Log(1 - p);
        var logChoose = 0.0; // log C(n, 0)
        for (var k = 0; k <= n; k++)
        {
            pmf[k] = Math.Exp(logChoose + (k * logP) + ((n - k) * logQ));
            logChoose += Math.Log(n - k) - Math.Log(k + 1);
        }

        return pmf;
    }
}
