using System.Globalization;

namespace Collectors.Simulator.Faults;

public enum Fault
{
    None,
    Throttle,
    ServerError,
    Reset,
    Slow,
    Truncate,
}

/// <summary>Draws one fault per request from the seeded source, and counts what it did (tests read the counts).</summary>
public sealed class FaultInjector(FaultProfile profile, int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private readonly Dictionary<Fault, int> _counts = [];
    private int _requests;

    public FaultProfile Profile { get; set; } = profile;

    public int Requests => Volatile.Read(ref _requests);

    public IReadOnlyDictionary<Fault, int> Counts
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<Fault, int>(_counts);
            }
        }
    }

    public Fault Draw()
    {
        lock (_gate)
        {
            _requests++;
            var p = Profile;
            var x = _random.NextDouble();
            var fault = x < p.ThrottleRate ? Fault.Throttle
                : (x -= p.ThrottleRate) < p.ServerErrorRate ? Fault.ServerError
                : (x -= p.ServerErrorRate) < p.ResetRate ? Fault.Reset
                : (x -= p.ResetRate) < p.SlowRate ? Fault.Slow
                : (x -= p.SlowRate) < p.TruncateRate ? Fault.Truncate
                : Fault.None;
            _counts[fault] = _counts.GetValueOrDefault(fault) + 1;
            return fault;
        }
    }

    public bool NextBool()
    {
        lock (_gate)
        {
            return _random.Next(2) == 0;
        }
    }

    /// <summary>Writes a 429 the way ARM does: Retry-After in seconds (and retry-after-ms for sub-second test profiles).</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan retryAfter, bool fractional = false)
    {
        if (fractional)
        {
            // Graph sometimes sends fractional seconds (Retry-After: 2.128 in Microsoft's published sample).
            response.Headers.RetryAfter = Math.Max(0.001, retryAfter.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);
            return;
        }

        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        if (retryAfter < TimeSpan.FromSeconds(1))
        {
            response.Headers["retry-after-ms"] = ((int)retryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }
    }
}
