using Microsoft.Extensions.Options;

namespace Collectors.Events;

/// <summary>Section <c>Collectors:Events</c>: what every pushed event must satisfy, and how queued messages are retried.</summary>
public sealed class EventsOptions
{
    public const string SectionName = "Collectors:Events";

    /// <summary>
    /// An event whose ordering time is older than this (hours before it is handled) is refused: evidence of
    /// today is not back-dated by a replayed or forged message. After an outage longer than this, re-ingest
    /// the kept messages with a higher limit (docs/events.md).
    /// </summary>
    public int MaxEventAgeHours { get; set; } = 24;

    /// <summary>An event whose ordering time lies further than this ahead of this host's clock is refused. Routes may be stricter (dr-tests: minutes).</summary>
    public int MaxFutureHours { get; set; } = 24;

    /// <summary>
    /// How long one queued message may take (mostly: waiting for a stream's lock) before it is put back on its
    /// queue for later instead of failing the delivery. Longer than the stream lock's own wait limit (3 minutes),
    /// so that limit normally speaks first.
    /// </summary>
    public int MessageTimeoutSeconds { get; set; } = 240;

    /// <summary>A message put back on its queue stays invisible for a random delay between these two.</summary>
    public int RequeueMinDelaySeconds { get; set; } = 30;

    public int RequeueMaxDelaySeconds { get; set; } = 120;

    /// <summary>How often one message may be put back; after that a lock timeout fails the delivery as any failure does (retries, then the poison queue).</summary>
    public int MaxRequeues { get; set; } = 10;
}

internal sealed class EventsOptionsValidator : IValidateOptions<EventsOptions>
{
    /// <summary>Ten years: a larger limit is a unit mistake, not a backfill.</summary>
    public const int MaxAgeLimitHours = 87_600;

    public ValidateOptionsResult Validate(string? name, EventsOptions options)
    {
        var failures = new List<string>();
        if (options.MaxEventAgeHours is < 1 or > MaxAgeLimitHours)
        {
            failures.Add($"Collectors__Events__MaxEventAgeHours {options.MaxEventAgeHours} must be between 1 and {MaxAgeLimitHours} (default 24).");
        }

        if (options.MaxFutureHours is < 0 or > 8_760)
        {
            failures.Add($"Collectors__Events__MaxFutureHours {options.MaxFutureHours} must be between 0 and 8760 (default 24).");
        }

        if (options.MessageTimeoutSeconds is < 1 or > 3_600)
        {
            failures.Add($"Collectors__Events__MessageTimeoutSeconds {options.MessageTimeoutSeconds} must be between 1 and 3600 (default 240; the function timeout in host.json is one hour).");
        }

        if (options.RequeueMinDelaySeconds < 0 || options.RequeueMaxDelaySeconds < options.RequeueMinDelaySeconds || options.RequeueMaxDelaySeconds > 86_400)
        {
            failures.Add($"Collectors__Events__RequeueMinDelaySeconds {options.RequeueMinDelaySeconds} and __RequeueMaxDelaySeconds {options.RequeueMaxDelaySeconds} must satisfy 0 ≤ min ≤ max ≤ 86400 (defaults 30 and 120).");
        }

        if (options.MaxRequeues is < 0 or > 100)
        {
            failures.Add($"Collectors__Events__MaxRequeues {options.MaxRequeues} must be between 0 and 100 (default 10).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
