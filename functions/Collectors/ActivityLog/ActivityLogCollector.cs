using System.Collections.Concurrent;
using System.Globalization;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.ActivityLog;

/// <summary>
/// Collects each subscription's Activity Log into its own stream (<c>activity-log/sub-&lt;id&gt;</c>),
/// window by window: on a timer (catching up missed windows up to the per-run cap) or over an explicit
/// backfill range; and, once a day, sweeps the previous day for events published later than the lag.
/// </summary>
public sealed partial class ActivityLogCollector(ActivityLogClient client, EvidenceWriter writer, LateArrivalSweep sweep, IOptions<ActivityLogOptions> options, TimeProvider time, ILogger<ActivityLogCollector> logger)
{
    public const string Id = "activity-log";

    public static readonly IReadOnlyList<string> Criteria = ["CC8.1", "CC6.3", "CC7.2"];

    private ActivityLogOptions Options => options.Value;

    public WindowPlanner Planner => new(
        TimeSpan.FromMinutes(Options.WindowMinutes),
        TimeSpan.FromMinutes(Options.LagMinutes),
        Options.MaxWindowsPerRun,
        TimeSpan.FromHours(Options.FirstRunLookbackHours));

    public static EvidenceStream StreamFor(string subscriptionId) => new(Id, $"sub-{subscriptionId.ToLowerInvariant()}");

    /// <summary>The earliest instant the Activity Log still holds.</summary>
    public DateTimeOffset RetentionStart => time.GetUtcNow().AddDays(-ActivityLogOptions.RetentionDays);

    /// <summary>The configured subscriptions (validated), or every one the identity can read.</summary>
    public async Task<IReadOnlyList<string>> ResolveSubscriptionsAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var configured = only is { Count: > 0 } ? only : Options.Subscriptions;
        foreach (var id in configured)
        {
            if (!Guid.TryParse(id, out _))
            {
                throw new ArgumentException($"'{id}' is not a subscription id (a GUID). Check Collectors__ActivityLog__Subscriptions or --subscription.");
            }
        }

        if (configured.Count > 0)
        {
            return [.. configured.Select(s => s.ToLowerInvariant()).Distinct()];
        }

        var all = await client.ListSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        if (all.Count == 0)
        {
            throw new EvidenceSourceException("The identity can read no subscription, so there is no Activity Log to collect. Grant it Reader on the subscriptions to monitor, or list them in Collectors__ActivityLog__Subscriptions.");
        }

        return all;
    }

    /// <summary>
    /// The timer's run: each subscription from its checkpoint up to now − lag, at most the per-run cap; a
    /// failed window stops its stream until the next run. Then, after <see cref="ActivityLogOptions.SweepHourUtc"/>,
    /// the late-arrival sweep of each day not swept yet.
    /// </summary>
    public async Task<CollectionRun> RunScheduledAsync(CancellationToken cancellationToken)
    {
        var subscriptions = await ResolveSubscriptionsAsync(null, cancellationToken).ConfigureAwait(false);
        var planner = Planner;
        var results = new ConcurrentBag<CommitResult>();
        await Parallel.ForEachAsync(subscriptions, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Options.MaxParallelSubscriptions), CancellationToken = cancellationToken }, async (subscription, ct) =>
        {
            var stream = StreamFor(subscription);
            var checkpoint = await writer.ReadCheckpointAsync(stream, ct).ConfigureAwait(false);
            var cursor = checkpoint.NextWindowStart;
            var retention = planner.Ceiling(RetentionStart.AddHours(1));
            if (cursor is { } c && c < retention)
            {
                LogBeyondRetention(logger, stream.Name, c, retention);
                cursor = retention;
                await writer.MoveCursorAsync(stream, retention, ct).ConfigureAwait(false);
            }

            foreach (var window in planner.PlanRun(cursor, time.GetUtcNow()))
            {
                var result = await CommitAsync(subscription, window, ct).ConfigureAwait(false);
                results.Add(result);
                if (result.Status == CommitStatus.Failed)
                {
                    break;
                }
            }

            if (Options.Sweep)
            {
                foreach (var result in await sweep.SweepIfDueAsync(Swept(subscription), Options.SweepHourUtc, DateOnly.FromDateTime(RetentionStart.UtcDateTime.Date.AddDays(1)), ct).ConfigureAwait(false))
                {
                    results.Add(result);
                }
            }
        }).ConfigureAwait(false);
        var run = new CollectionRun([.. results.OrderBy(r => r.Stream.Name, StringComparer.Ordinal).ThenBy(r => r.Window.Start)]);
        LogRun(logger, subscriptions.Count, run.Committed, run.AlreadyCommitted, run.Failed, run.Records);
        return run;
    }

    /// <summary>Commits every window of [from, to) for the subscriptions; windows already committed are left alone.</summary>
    public async Task<CollectionRun> BackfillAsync(DateTimeOffset from, DateTimeOffset to, IReadOnlyList<string>? subscriptions, IProgress<CommitResult>? progress, CancellationToken cancellationToken)
    {
        var windows = PlanBackfill(from, to);
        var targets = await ResolveSubscriptionsAsync(subscriptions, cancellationToken).ConfigureAwait(false);
        var results = new ConcurrentBag<CommitResult>();
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Options.MaxParallelSubscriptions), CancellationToken = cancellationToken }, async (subscription, ct) =>
        {
            foreach (var window in windows)
            {
                var result = await CommitAsync(subscription, window, ct).ConfigureAwait(false);
                results.Add(result);
                progress?.Report(result);
            }
        }).ConfigureAwait(false);
        return new CollectionRun([.. results.OrderBy(r => r.Stream.Name, StringComparer.Ordinal).ThenBy(r => r.Window.Start)]);
    }

    /// <summary>The windows of a backfill of [from, to); refuses ranges inside the lag or older than the Activity Log's retention.</summary>
    public IReadOnlyList<TimeWindow> PlanBackfill(DateTimeOffset from, DateTimeOffset to)
    {
        var planner = Planner;
        var windows = planner.PlanBackfill(from, to, time.GetUtcNow());
        var retention = RetentionStart;
        if (windows[0].Start < retention)
        {
            var earliest = TimeWindow.Iso(planner.Ceiling(retention));
            throw new ArgumentException(
                $"Azure keeps the Activity Log for {ActivityLogOptions.RetentionDays} days: the range starts {TimeWindow.Iso(windows[0].Start)}, but the earliest window that can still be collected starts {earliest}. Use --from {earliest} or later.");
        }

        return windows;
    }

    /// <summary>The late-arrival sweep of one day for the subscriptions: a supplement per window for events published after it was collected.</summary>
    public async Task<CollectionRun> SweepDayAsync(DateOnly day, IReadOnlyList<string>? subscriptions, CancellationToken cancellationToken)
    {
        if (day < DateOnly.FromDateTime(RetentionStart.UtcDateTime.Date))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Azure keeps the Activity Log for {ActivityLogOptions.RetentionDays} days: {day:yyyy-MM-dd} can no longer be read again, so there is nothing to sweep. Sweep {RetentionStart.UtcDateTime.Date.AddDays(1):yyyy-MM-dd} or later."));
        }

        var targets = await ResolveSubscriptionsAsync(subscriptions, cancellationToken).ConfigureAwait(false);
        var results = new ConcurrentBag<CommitResult>();
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Options.MaxParallelSubscriptions), CancellationToken = cancellationToken }, async (subscription, ct) =>
        {
            foreach (var result in await sweep.SweepDayAsync(Swept(subscription), day, ct).ConfigureAwait(false))
            {
                results.Add(result);
            }
        }).ConfigureAwait(false);
        return new CollectionRun([.. results.OrderBy(r => r.Stream.Name, StringComparer.Ordinal).ThenBy(r => r.Window.Start)]);
    }

    /// <summary>A subscription's stream as the sweep reads it again: the same query per window, records known by eventDataId.</summary>
    private SweptStream Swept(string subscription) =>
        new(Id, Criteria, StreamFor(subscription), TimeSpan.FromMinutes(Options.WindowMinutes), "eventDataId", (window, log, ct) => client.ReadWindowAsync(subscription, window, log, ct));

    private Task<CommitResult> CommitAsync(string subscription, TimeWindow window, CancellationToken cancellationToken) =>
        writer.CommitWindowAsync(
            new EvidenceBatch(Id, Criteria, StreamFor(subscription), window),
            (log, ct) => client.ReadWindowAsync(subscription, window, log, ct),
            cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream} resumes at {Cursor:o}, older than the Activity Log's retention; windows before {Retention:o} can no longer be collected and remain a gap")]
    private static partial void LogBeyondRetention(ILogger logger, string stream, DateTimeOffset cursor, DateTimeOffset retention);

    [LoggerMessage(Level = LogLevel.Information, Message = "Activity Log run over {Subscriptions} subscriptions: {Committed} windows committed, {Already} already committed, {Failed} failed, {Records} records")]
    private static partial void LogRun(ILogger logger, int subscriptions, int committed, int already, int failed, long records);
}
