namespace Collectors.Simulator.Faults;

/// <summary>ARM's regional token bucket for subscription reads: 250 tokens, refilled at 25 per second, per subscription and principal.</summary>
public sealed class TokenBucket(double capacity, double refillPerSecond, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (double Tokens, long Stamp)> _buckets = [];

    /// <summary>Takes a token; returns null when granted, or how long until one is available.</summary>
    public TimeSpan? Take(string key)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var (tokens, stamp) = _buckets.TryGetValue(key, out var state) ? state : (capacity, now);
            tokens = Math.Min(capacity, tokens + (time.GetElapsedTime(stamp, now).TotalSeconds * refillPerSecond));
            if (tokens >= 1)
            {
                _buckets[key] = (tokens - 1, now);
                return null;
            }

            _buckets[key] = (tokens, now);
            return TimeSpan.FromSeconds((1 - tokens) / refillPerSecond);
        }
    }

    public double Remaining(string key)
    {
        lock (_gate)
        {
            return _buckets.TryGetValue(key, out var state) ? Math.Floor(state.Tokens) : capacity;
        }
    }
}
