namespace Collectors.Simulator.Faults;

/// <summary>
/// What can go wrong, per request, drawn from the simulator's seeded random source. Rates are
/// probabilities in [0, 1]. All zero is a perfect service.
/// </summary>
public sealed record FaultProfile
{
    public static FaultProfile None { get; } = new();

    /// <summary>A realistic bad day: ≥ 5% 429s, ≥ 1% 5xx, some resets, slow and truncated responses, ingestion lag, and 1% of Activity Log events published hours late.</summary>
    public static FaultProfile Rough { get; } = new()
    {
        ThrottleRate = 0.06,
        ServerErrorRate = 0.015,
        ResetRate = 0.01,
        SlowRate = 0.01,
        TruncateRate = 0.01,
        IngestionLagMax = TimeSpan.FromMinutes(12),
        LateArrivalRate = 0.01,
        RetryAfter = TimeSpan.FromSeconds(1),
        SlowDelay = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>Answer 429 with Retry-After.</summary>
    public double ThrottleRate { get; init; }

    /// <summary>Answer 500 or 503.</summary>
    public double ServerErrorRate { get; init; }

    /// <summary>Send half the body, then reset the connection.</summary>
    public double ResetRate { get; init; }

    /// <summary>Wait <see cref="SlowDelay"/> before answering.</summary>
    public double SlowRate { get; init; }

    /// <summary>Send half the body and end the response normally: the JSON is cut short.</summary>
    public double TruncateRate { get; init; }

    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The Retry-After of a 429. Below one second it is sent as retry-after-ms (with Retry-After: 1).</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>An event becomes visible up to this long after its eventTimestamp (uniformly drawn per event).</summary>
    public TimeSpan IngestionLagMax { get; init; }

    /// <summary>Share of Activity Log events published late: past the usual lag, 40–100% of <see cref="LateArrivalMax"/> after they happened.</summary>
    public double LateArrivalRate { get; init; }

    /// <summary>How late a late-published Activity Log event may appear (Microsoft documents 3–20 minutes as usual, not as a bound).</summary>
    public TimeSpan LateArrivalMax { get; init; } = TimeSpan.FromHours(2);

    public static FaultProfile Parse(string name) => name.ToLowerInvariant() switch
    {
        "none" => None,
        "rough" => Rough,
        _ => throw new ArgumentException($"Unknown fault profile '{name}'. Use none or rough."),
    };
}
