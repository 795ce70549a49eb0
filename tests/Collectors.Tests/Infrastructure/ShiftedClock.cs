namespace Collectors.Tests.Infrastructure;

/// <summary>"Now" is a settable instant that moves with real time; timers and delays stay real.</summary>
internal sealed class ShiftedClock(DateTimeOffset now) : TimeProvider
{
    private readonly DateTimeOffset _realStart = DateTimeOffset.UtcNow;

    public DateTimeOffset Start { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Start + (DateTimeOffset.UtcNow - _realStart);
}
