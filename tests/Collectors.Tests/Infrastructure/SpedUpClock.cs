using System.Diagnostics;

namespace Collectors.Tests.Infrastructure;

/// <summary>
/// Elapsed time (timestamps) runs <paramref name="factor"/> times faster than real time; "now" and timers stay
/// real. What measures a wait limit with the clock's timestamps reaches it that much sooner.
/// </summary>
internal sealed class SpedUpClock(double factor) : TimeProvider
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public override long GetTimestamp() => _start + (long)((Stopwatch.GetTimestamp() - _start) * factor);
}
