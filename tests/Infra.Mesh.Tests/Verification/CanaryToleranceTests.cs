using CsCheck;
using Infra.Mesh.Verification;

namespace Infra.Mesh.Tests.Verification;

public class CanaryToleranceTests
{
    /// <summary>P(X ≤ k) for X ~ Binomial(n, p), summed from the recurrence in decimal-free doubles, independently of the planner's log-space pmf.</summary>
    private static double Cdf(int n, double p, int k)
    {
        if (k < 0)
        {
            return 0;
        }

        // pmf(i + 1) = pmf(i) * (n - i) / (i + 1) * p / (1 - p), started at the mode to avoid underflow.
        var mode = (int)Math.Floor((n + 1) * p);
        mode = Math.Clamp(mode, 0, n);
        var pmf = new double[n + 1];
        pmf[mode] = 1;
        for (var i = mode; i < n; i++)
        {
            pmf[i + 1] = pmf[i] * (n - i) / (i + 1) * p / (1 - p);
        }

        for (var i = mode; i > 0; i--)
        {
            pmf[i - 1] = pmf[i] * i / (n - i + 1) * (1 - p) / p;
        }

        var total = pmf.Sum();
        return pmf.Take(Math.Min(k, n) + 1).Sum() / total;
    }

    [Fact]
    public void For_every_request_count_and_weight_a_correct_split_fails_at_most_one_run_in_a_thousand_and_the_range_is_the_tightest()
    {
        Gen.Select(Gen.Int[20, 2000], Gen.Int[1, 99]).Sample((n, weight) =>
        {
            var t = CanaryTolerance.Of(n, weight);
            var p = weight / 100.0;
            var half = CanaryTolerance.FalseAlarmRate / 2;

            // Each tail outside the range is at most α/2 ...
            Assert.True(Cdf(n, p, t.Min - 1) <= half + 1e-12, $"P(X < {t.Min}) too large for n={n}, w={weight}");
            Assert.True(1 - Cdf(n, p, t.Max) <= half + 1e-12, $"P(X > {t.Max}) too large for n={n}, w={weight}");
            // ... and one step tighter it would exceed α/2: the range is no wider than it must be.
            Assert.True(t.Min == n || Cdf(n, p, t.Min) > half - 1e-12, $"Min {t.Min} could be higher for n={n}, w={weight}");
            Assert.True(t.Max == 0 || 1 - Cdf(n, p, t.Max - 1) > half - 1e-12, $"Max {t.Max} could be lower for n={n}, w={weight}");
            Assert.InRange(n * p, t.Min, t.Max);
        }, iter: 300);
    }

    [Theory]
    [InlineData(200, 10, 8, 35)]
    [InlineData(200, 50, 77, 123)]
    [InlineData(1000, 1, 2, 22)]
    public void Known_ranges(int n, int weight, int min, int max)
    {
        var t = CanaryTolerance.Of(n, weight);
        Assert.Equal((min, max), (t.Min, t.Max));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(100, 200, 200)]
    public void A_weight_of_0_or_100_allows_no_deviation_at_all(int weight, int min, int max)
    {
        var t = CanaryTolerance.Of(200, weight);
        Assert.Equal((min, max), (t.Min, t.Max));
    }

    [Fact]
    public void A_split_that_is_off_by_a_few_points_is_caught()
    {
        // A canary that really gets 20 % while it should get 10 %: its expected count (40) lies outside the range.
        var t = CanaryTolerance.Of(200, 10);
        Assert.True(40 > t.Max);
        Assert.True(0 < t.Min); // and a canary that gets nothing fails too
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(200, -1)]
    [InlineData(200, 101)]
    public void Out_of_range_arguments_are_refused(int n, int weight) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryTolerance.Of(n, weight));
}
