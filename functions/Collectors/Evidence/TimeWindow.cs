using System.Globalization;

namespace Collectors.Evidence;

/// <summary>A half-open UTC interval [Start, End) on a stream's grid.</summary>
public readonly record struct TimeWindow
{
    public TimeWindow(DateTimeOffset start, DateTimeOffset end)
    {
        if (start.Offset != TimeSpan.Zero || end.Offset != TimeSpan.Zero)
        {
            throw new ArgumentException($"Window bounds must be UTC; got {start:O} to {end:O}.");
        }

        if (end <= start)
        {
            throw new ArgumentException($"A window must end after it starts; got {start:O} to {end:O}.");
        }

        Start = start;
        End = end;
    }

    public DateTimeOffset Start { get; }

    public DateTimeOffset End { get; }

    public TimeSpan Duration => End - Start;

    /// <summary>The compact form used in blob names: 20261125T001500Z.</summary>
    public static string Token(DateTimeOffset value) => value.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseToken(string token) =>
        new(DateTime.ParseExact(token, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    /// <summary>ISO-8601 UTC with a Z suffix, no needless fraction: 2026-11-25T00:15:00Z.</summary>
    public static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    public override string ToString() => $"[{Iso(Start)}, {Iso(End)})";
}
