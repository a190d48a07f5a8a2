using System.Runtime.ExceptionServices;

namespace Infra.Mesh.Planning;

/// <summary>Work spread over every core that fails as a loop over it fails.</summary>
public static class InOrder
{
    /// <summary>
    /// Runs <paramref name="body"/> for 0 to <paramref name="count"/> - 1 on every core. When bodies throw, rethrows the
    /// exception of the lowest index, as it was thrown: every index below a failing one still runs
    /// (<see cref="ParallelLoopState.Break"/>), so the exception is the one a <c>for</c> loop would meet, every time,
    /// not whichever failed first in time (Parallel.For's <see cref="AggregateException"/>).
    /// </summary>
    public static void For(int count, Action<int> body)
    {
        var failures = new Exception?[count];
        Parallel.For(0, count, (i, loop) =>
        {
            try
            {
                body(i);
            }
            catch (Exception e)
            {
                failures[i] = e;
                loop.Break();
            }
        });
        if (Array.Find(failures, f => f is not null) is { } first)
        {
            ExceptionDispatchInfo.Throw(first);
        }
    }
}
