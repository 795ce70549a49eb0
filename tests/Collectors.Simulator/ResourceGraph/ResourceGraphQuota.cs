using System.Globalization;

namespace Collectors.Simulator.ResourceGraph;

/// <summary>
/// Resource Graph's per-identity quota: at most <c>limit</c> queries in each window (15 per 5 s by
/// default), every page counting as one. Every answer says what is left (x-ms-user-quota-remaining) and
/// when the window resets (x-ms-user-quota-resets-after, hh:mm:ss); past the limit the answer is 429.
/// </summary>
public sealed class ResourceGraphQuota(int limit, TimeSpan window, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Start, int Used)> _windows = [];
    private int _throttled;

    public int Limit => limit;

    public TimeSpan Window => window;

    /// <summary>How many queries were refused with 429 so far.</summary>
    public int Throttled => Volatile.Read(ref _throttled);

    /// <summary>Takes one unit for the principal: whether it was granted, what is left and when the window resets.</summary>
    public (bool Granted, int Remaining, TimeSpan ResetsAfter) Take(string principal)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (!_windows.TryGetValue(principal, out var state) || time.GetElapsedTime(state.Start, now) >= window)
            {
                state = (now, 0);
            }

            var resetsAfter = window - time.GetElapsedTime(state.Start, now);
            if (state.Used >= limit)
            {
                _windows[principal] = state;
                Interlocked.Increment(ref _throttled);
                return (false, 0, resetsAfter);
            }

            state.Used++;
            _windows[principal] = state;
            return (true, limit - state.Used, resetsAfter);
        }
    }

    /// <summary>hh:mm:ss, rounded up to the second (a wait of 0.2 s is announced as 00:00:01).</summary>
    public static string Format(TimeSpan value) =>
        TimeSpan.FromSeconds(Math.Max(0, Math.Ceiling(value.TotalSeconds))).ToString("hh\\:mm\\:ss", CultureInfo.InvariantCulture);
}
