namespace Collectors.Evidence;

/// <summary>
/// Cuts time into a stream's UTC windows: a fixed grid of <see cref="Size"/> aligned to midnight UTC,
/// each window ending at least <see cref="Lag"/> before now (sources publish late), at most
/// <see cref="MaxWindowsPerRun"/> per run, plus explicit backfill ranges.
/// </summary>
public sealed record WindowPlanner
{
    public WindowPlanner(TimeSpan size, TimeSpan lag, int maxWindowsPerRun, TimeSpan firstRunLookback)
    {
        if (size < TimeSpan.FromMinutes(1) || size > TimeSpan.FromDays(1) || TimeSpan.FromDays(1).Ticks % size.Ticks != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The window size must divide a day evenly (e.g. 00:05:00, 00:15:00, 01:00:00, 06:00:00, 1.00:00:00).");
        }

        if (lag < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lag), lag, "The lag cannot be negative.");
        }

        if (maxWindowsPerRun < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxWindowsPerRun), maxWindowsPerRun, "At least one window per run.");
        }

        if (firstRunLookback < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(firstRunLookback), firstRunLookback, "The first-run lookback cannot be negative.");
        }

        Size = size;
        Lag = lag;
        MaxWindowsPerRun = maxWindowsPerRun;
        FirstRunLookback = firstRunLookback;
    }

    public TimeSpan Size { get; }

    public TimeSpan Lag { get; }

    public int MaxWindowsPerRun { get; }

    /// <summary>How far back a stream with no evidence at all starts.</summary>
    public TimeSpan FirstRunLookback { get; }

    public DateTimeOffset Floor(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % Size.Ticks), TimeSpan.Zero);
    }

    public DateTimeOffset Ceiling(DateTimeOffset instant)
    {
        var floor = Floor(instant);
        return floor == instant.ToUniversalTime() ? floor : floor + Size;
    }

    /// <summary>The end of the newest window that may be collected now.</summary>
    public DateTimeOffset Horizon(DateTimeOffset now) => Floor(now - Lag);

    /// <summary>The windows a timer run should collect, oldest first, from the stream's cursor (or the first-run lookback).</summary>
    public IReadOnlyList<TimeWindow> PlanRun(DateTimeOffset? nextWindowStart, DateTimeOffset now)
    {
        var horizon = Horizon(now);
        var start = nextWindowStart is { } cursor ? Floor(cursor) : Floor(horizon - FirstRunLookback);
        var windows = new List<TimeWindow>();
        for (var s = start; s + Size <= horizon && windows.Count < MaxWindowsPerRun; s += Size)
        {
            windows.Add(new TimeWindow(s, s + Size));
        }

        return windows;
    }

    /// <summary>
    /// The grid windows covering [from, to): from is rounded down and to up to the grid. Windows that end
    /// after the horizon are refused, because their evidence is not complete yet.
    /// </summary>
    public IReadOnlyList<TimeWindow> PlanBackfill(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        if (to <= from)
        {
            throw new ArgumentException($"The range must end after it starts; got --from {TimeWindow.Iso(from)} --to {TimeWindow.Iso(to)}.");
        }

        var start = Floor(from);
        var end = Ceiling(to);
        var horizon = Horizon(now);
        if (end > horizon)
        {
            throw new ArgumentException(
                $"The range ends at {TimeWindow.Iso(end)} (rounded up to the {Size} grid), after {TimeWindow.Iso(horizon)}: windows closer to now than the {Lag} lag are not complete at the source yet. Use --to {TimeWindow.Iso(horizon)} or earlier.");
        }

        var windows = new List<TimeWindow>();
        for (var s = start; s < end; s += Size)
        {
            windows.Add(new TimeWindow(s, s + Size));
        }

        return windows;
    }
}
