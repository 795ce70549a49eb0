using System.Collections.Concurrent;
using System.Globalization;
using Collectors.Catalog;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Runtime;

/// <summary>
/// Runs every collector the same way. For a windowed collector it owns checkpoint → window plan → commit →
/// error record → cursor, catch-up after missed runs (at most MaxWindowsPerRun per stream and run), the
/// retention clamp, backfill ranges, the late-arrival sweep and progress; for a snapshot collector, the
/// snapshot of each stream in the current grid window. Work is planned as <see cref="WorkItem"/>s, one per
/// stream and range: the Functions timer puts them on the work queue (fan-out across instances), the CLI
/// runs them in-process with bounded parallelism. Collectors supply only their streams and how to read.
/// </summary>
public sealed partial class CollectorRuntime(
    CollectorCatalog catalog,
    IEnumerable<ICollector> collectors,
    EvidenceWriter writer,
    LateArrivalSweep sweep,
    IOptionsMonitor<WindowOptions> windows,
    WorkQueue? queue,
    TimeProvider time,
    ILogger<CollectorRuntime> logger,
    Azure.Storage.Blobs.BlobContainerClient? state = null)
{
    private readonly IReadOnlyDictionary<string, ICollector> _collectors = collectors.ToDictionary(c => c.Id, StringComparer.Ordinal);

    public CollectorCatalog Catalog => catalog;

    /// <summary>Appends of one stream outstanding while its next windows are read (see EvidenceWriter.CommitWindowsAsync).</summary>
    internal const int AppendDepth = 4;

    /// <summary>The collectors that run on a schedule (windowed and snapshot), by id.</summary>
    public IReadOnlyCollection<string> Scheduled => [.. _collectors.Keys.Order(StringComparer.Ordinal)];

    public CollectorDescriptor Describe(string id) =>
        catalog.Find(id) ?? throw new ArgumentException($"There is no collector '{id}'. Known: {string.Join(", ", catalog.Collectors.Select(c => c.Id))} (collectors list).");

    public ICollector Get(string id) =>
        _collectors.TryGetValue(id, out var collector) ? collector : throw new ArgumentException(NotRunnable(catalog, id));

    /// <summary>Why <paramref name="id"/> cannot be run: an event-only collector, or no collector at all.</summary>
    public static string NotRunnable(CollectorCatalog catalog, string id) => catalog.Find(id) is { Kind: CollectorDescriptor.Events } events
        ? $"{id} collects pushed events (queue %{events.QueueSetting}%, default {events.DefaultQueue}): it has no windows to run. Store a message with 'collectors ingest-event --file <path>'."
        : $"There is no collector '{id}' to run. Runnable: {string.Join(", ", catalog.Collectors.Where(c => c.Kind != CollectorDescriptor.Events).Select(c => c.Id))} (collectors list).";

    /// <summary>The windows of a windowed collector as it runs them (defaults from collector.json, overridden by its settings).</summary>
    public WindowOptions Windows(string id) => windows.Get(id);

    /// <summary>The window grid and lag a collector runs with: what the daily summary's coverage must use. Null for event collectors.</summary>
    public (TimeSpan Size, TimeSpan Lag)? Grid(string id) => Get(id) switch
    {
        IWindowedCollector => (Windows(id).Size, Windows(id).Lag),
        ISnapshotCollector snapshot => (snapshot.WindowAt(time.GetUtcNow()).End - snapshot.WindowAt(time.GetUtcNow()).Start, TimeSpan.Zero),
        _ => null,
    };

    /// <summary>Streams of a collector run at once by one process.</summary>
    public int Parallelism(string id) => Get(id) switch
    {
        IWindowedCollector => Windows(id).MaxParallelStreams,
        ISnapshotCollector snapshot => snapshot.MaxParallelStreams,
        _ => 1,
    };

    /// <summary>The earliest instant the source of a windowed collector still holds.</summary>
    public DateTimeOffset RetentionStart(string id) => time.GetUtcNow().AddDays(-Windows(id).RetentionDays);

    /// <summary>What a scheduled run does now: per stream, its due windows (from its cursor), the sweep if due, or its snapshot.</summary>
    public async Task<IReadOnlyList<WorkItem>> PlanScheduledAsync(string id, CancellationToken cancellationToken)
    {
        switch (Get(id))
        {
            case IWindowedCollector windowed:
                var options = Windows(id);
                var planner = options.Planner();
                var items = new ConcurrentBag<WorkItem>();
                var streams = Owned(id, await windowed.StreamsAsync(null, cancellationToken).ConfigureAwait(false));
                var retention = planner.Ceiling(RetentionStart(id).AddHours(1));
                await Parallel.ForEachAsync(streams, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (stream, ct) =>
                {
                    var cursor = (await writer.ReadCheckpointAsync(stream.Stream, ct).ConfigureAwait(false)).NextWindowStart;
                    if (cursor is { } c && c < retention)
                    {
                        LogBeyondRetention(logger, stream.Stream.Name, c, retention);
                        cursor = retention;
                        await writer.MoveCursorAsync(stream.Stream, retention, ct).ConfigureAwait(false);
                    }

                    if (cursor is { } at && planner.Floor(at) != at)
                    {
                        // The stream's windows were cut on another grid: planning on this one would overlap them in
                        // write-once storage. Nothing is collected until the setting is put back; the error record
                        // makes the summary say so.
                        var descriptor = Describe(id);
                        var reason = $"{stream.Stream.Name} continues at {TimeWindow.Iso(at)}, which is not on the {planner.Size.TotalMinutes:0}-minute grid: {descriptor.SettingsSection!.Replace(":", "__", StringComparison.Ordinal)}__WindowMinutes was changed after the stream had evidence. Windows on the new grid would overlap the stored ones, so nothing is collected for this stream until the previous value is restored.";
                        LogOffGrid(logger, stream.Stream.Name, reason);
                        var window = new TimeWindow(planner.Floor(at), planner.Floor(at) + planner.Size);
                        await writer.RecordFailureAsync(new EvidenceBatch(id, descriptor.Criteria, stream.Stream, window), reason, ct).ConfigureAwait(false);
                        return;
                    }

                    var due = planner.PlanRun(cursor, time.GetUtcNow());
                    if (due.Count > 0)
                    {
                        items.Add(new WorkItem(id, stream.Key, stream.Stream.Name, WorkKind.Scheduled, due[0].Start, due[^1].End));
                    }

                    if (options.Sweep && time.GetUtcNow().UtcDateTime.Hour >= options.SweepHourUtc)
                    {
                        items.Add(new WorkItem(id, stream.Key, stream.Stream.Name, WorkKind.SweepDue, default, default));
                    }
                }).ConfigureAwait(false);
                return [.. items.OrderBy(i => i.Stream, StringComparer.Ordinal).ThenBy(i => i.Kind)];
            case ISnapshotCollector snapshot:
                return [.. Owned(id, await snapshot.StreamsAsync(cancellationToken).ConfigureAwait(false)).Select(s => new WorkItem(id, s.Key, s.Stream.Name, WorkKind.Snapshot, default, default))];
            default:
                throw new ArgumentException($"{id} is not a windowed or snapshot collector.");
        }
    }

    /// <summary>Why a snapshot collector refuses a range.</summary>
    public static string NoPastSnapshots(string id) =>
        $"{id} takes snapshots of the current state only: its source keeps no past states, so snapshots of the past cannot exist and --from/--to are refused. Run 'collectors run {id}' without them to take a snapshot now.";

    /// <summary>The grid window a snapshot taken now is labelled with (null for a windowed collector).</summary>
    public TimeWindow? SnapshotWindowNow(string id) => Get(id) is ISnapshotCollector snapshot ? snapshot.WindowAt(time.GetUtcNow()) : null;

    /// <summary>The windows of a backfill of [from, to); refuses ranges inside the lag or older than the source's retention.</summary>
    public IReadOnlyList<TimeWindow> PlanBackfill(string id, DateTimeOffset from, DateTimeOffset to)
    {
        if (Get(id) is not IWindowedCollector)
        {
            throw new ArgumentException(NoPastSnapshots(id));
        }

        var options = Windows(id);
        var planner = options.Planner();
        var planned = planner.PlanBackfill(from, to, time.GetUtcNow());
        var retention = RetentionStart(id);
        if (planned[0].Start < retention)
        {
            var earliest = TimeWindow.Iso(planner.Ceiling(retention));
            var descriptor = Describe(id);
            throw new ArgumentException(
                $"{descriptor.Title} keeps {options.RetentionDays} days ({descriptor.SettingsSection!.Replace(":", "__", StringComparison.Ordinal)}__RetentionDays{(descriptor.RetentionNote is { } note ? "; " + note : string.Empty)}): the range starts {TimeWindow.Iso(planned[0].Start)}, but the earliest window that can still be collected starts {earliest}. Use --from {earliest} or later.");
        }

        return planned;
    }

    /// <summary>One backfill item per stream (all of them, or those <paramref name="only"/> names).</summary>
    public async Task<IReadOnlyList<WorkItem>> PlanBackfillAsync(string id, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var planned = PlanBackfill(id, from, to);
        var streams = Owned(id, await ((IWindowedCollector)Get(id)).StreamsAsync(only, cancellationToken).ConfigureAwait(false));
        return [.. streams.Select(s => new WorkItem(id, s.Key, s.Stream.Name, WorkKind.Backfill, planned[0].Start, planned[^1].End))];
    }

    /// <summary>One sweep item per stream for one day.</summary>
    public async Task<IReadOnlyList<WorkItem>> PlanSweepAsync(string id, DateOnly day, IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        if (Get(id) is not IWindowedCollector windowed || Describe(id).RecordId is null)
        {
            throw new ArgumentException($"{id} has no late-arrival sweep.");
        }

        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        if (start < RetentionStart(id))
        {
            throw new ArgumentException($"{Describe(id).Title} keeps {Windows(id).RetentionDays} days: {day:yyyy-MM-dd} cannot be swept any more.");
        }

        var streams = Owned(id, await windowed.StreamsAsync(only, cancellationToken).ConfigureAwait(false));
        return [.. streams.Select(s => new WorkItem(id, s.Key, s.Stream.Name, WorkKind.SweepDay, start, start.AddDays(1)))];
    }

    /// <summary>Runs one work item: every window (or the snapshot, or the sweep) it names.</summary>
    public async Task<CollectionRun> RunAsync(WorkItem item, IProgress<CommitResult>? progress, CancellationToken cancellationToken)
    {
        var descriptor = Describe(item.Collector);
        switch (Get(item.Collector))
        {
            case IWindowedCollector windowed:
                var stream = Owned(item.Collector, await windowed.StreamAsync(item.Key, cancellationToken).ConfigureAwait(false));
                if (stream.Stream.Name != item.Stream)
                {
                    throw new FormatException($"Work item {item} names stream {item.Stream}, but key {item.Key} is stream {stream.Stream.Name}.");
                }

                return item.Kind switch
                {
                    WorkKind.Scheduled or WorkKind.Backfill => await CommitWindowsAsync(descriptor, windowed, stream, item, progress, cancellationToken).ConfigureAwait(false),
                    WorkKind.SweepDue => new CollectionRun(await sweep.SweepIfDueAsync(Swept(descriptor, windowed, stream), Windows(item.Collector).SweepHourUtc, DateOnly.FromDateTime(RetentionStart(item.Collector).UtcDateTime.Date.AddDays(1)), cancellationToken).ConfigureAwait(false)),
                    WorkKind.SweepDay => new CollectionRun(await sweep.SweepDayAsync(Swept(descriptor, windowed, stream), DateOnly.FromDateTime(item.From.UtcDateTime), cancellationToken).ConfigureAwait(false)),
                    _ => throw new FormatException($"{item.Collector} is windowed; a {item.Kind} work item cannot run on it."),
                };
            case ISnapshotCollector snapshot when item.Kind == WorkKind.Snapshot:
                var target = Owned(item.Collector, await snapshot.StreamAsync(item.Key, cancellationToken).ConfigureAwait(false));
                // Labelled with the window of the moment it is taken, whenever the item runs.
                var window = snapshot.WindowAt(time.GetUtcNow());
                var result = await writer.CommitWindowAsync(new EvidenceBatch(descriptor.Id, descriptor.Criteria, target.Stream, window), (log, ct) => snapshot.ReadSnapshotAsync(target, log, ct), cancellationToken).ConfigureAwait(false);
                progress?.Report(result);
                return new CollectionRun([result]);
            default:
                throw new FormatException($"A {item.Kind} work item cannot run on {item.Collector}.");
        }
    }

    /// <summary>
    /// Runs work items in this process: streams at most <paramref name="parallelism"/> at once, each stream's
    /// items one after another (its windows before its sweep), so a source's per-scope limits see one caller.
    /// </summary>
    public async Task<CollectionRun> RunAllAsync(IReadOnlyList<WorkItem> items, int parallelism, IProgress<CommitResult>? progress, CancellationToken cancellationToken)
    {
        var results = new ConcurrentBag<CommitResult>();
        var byStream = items.GroupBy(i => (i.Collector, i.Stream)).Select(g => g.OrderBy(i => i.Kind).ThenBy(i => i.From).ToList()).ToList();
        await Parallel.ForEachAsync(byStream, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken }, async (stream, ct) =>
        {
            foreach (var item in stream)
            {
                foreach (var result in (await RunAsync(item, progress, ct).ConfigureAwait(false)).Results)
                {
                    results.Add(result);
                }
            }
        }).ConfigureAwait(false);
        return new CollectionRun([.. results.OrderBy(r => r.Stream.Name, StringComparer.Ordinal).ThenBy(r => r.Window.Start)]);
    }

    /// <summary>A scheduled run, in this process: what the timer's work items would do.</summary>
    public async Task<CollectionRun> RunScheduledAsync(string id, CancellationToken cancellationToken) =>
        await RunAllAsync(await PlanScheduledAsync(id, cancellationToken).ConfigureAwait(false), Parallelism(id), null, cancellationToken).ConfigureAwait(false);

    /// <summary>A backfill of [from, to), in this process.</summary>
    public async Task<CollectionRun> BackfillAsync(string id, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<string>? only, IProgress<CommitResult>? progress, CancellationToken cancellationToken) =>
        await RunAllAsync(await PlanBackfillAsync(id, from, to, only, cancellationToken).ConfigureAwait(false), Parallelism(id), progress, cancellationToken).ConfigureAwait(false);

    /// <summary>The late-arrival sweep of one day, in this process.</summary>
    public async Task<CollectionRun> SweepAsync(string id, DateOnly day, IReadOnlyList<string>? only, CancellationToken cancellationToken) =>
        await RunAllAsync(await PlanSweepAsync(id, day, only, cancellationToken).ConfigureAwait(false), Parallelism(id), null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The timer's run: plans the due work and puts it on the work queue, one message per stream, so the
    /// queue-triggered function runs it on as many instances as the platform gives; without a work queue
    /// (a single process), or for a collector whose source's limit is per identity or tenant (collector.json
    /// <c>fanOut: false</c>), it runs it here.
    /// </summary>
    public async Task<ScheduleOutcome> ScheduleAsync(string id, CancellationToken cancellationToken)
    {
        var items = await PlanScheduledAsync(id, cancellationToken).ConfigureAwait(false);
        if (queue is not null && Describe(id).FanOut)
        {
            await queue.SendAsync(items, cancellationToken).ConfigureAwait(false);
            LogEnqueued(logger, id, items.Count, queue.Name);
            return new ScheduleOutcome(items.Count, null);
        }

        var run = await RunAllAsync(items, Parallelism(id), null, cancellationToken).ConfigureAwait(false);
        LogRun(logger, id, run.Committed, run.AlreadyCommitted, run.Failed, run.Records);
        return new ScheduleOutcome(items.Count, run);
    }

    /// <summary>
    /// The queue function's work: one message, one work item. A message that is not a valid work item (malformed,
    /// a collector that is not here, a key that is not its stream, a range off the grid, in the future or beyond
    /// the source's retention) becomes a rejection record and is not retried: retrying cannot fix it, and running
    /// it could commit windows that can never be collected again. An item whose stream another item is working on
    /// does nothing: the next timer run plans what is left.
    /// </summary>
    public async Task<CollectionRun?> RunMessageAsync(string message, CancellationToken cancellationToken)
    {
        if (await AcceptAsync(message, cancellationToken).ConfigureAwait(false) is not { } item)
        {
            return null;
        }

        var stream = EvidenceStream.Parse(item.Stream);
        await using var lease = state is null ? null : await WorkLease.TryAcquireAsync(state, stream, time, cancellationToken).ConfigureAwait(false);
        if (state is not null && lease is null)
        {
            LogBusy(logger, item.ToString());
            return new CollectionRun([]);
        }

        var run = await RunAsync(item, null, cancellationToken).ConfigureAwait(false);
        LogItem(logger, item.ToString(), run.Committed, run.AlreadyCommitted, run.Failed, run.Records);
        return run;
    }

    /// <summary>
    /// A work item that failed every delivery (the poison queue): an error record on its first grid window (a sweep:
    /// yesterday; a snapshot: the window of now), so the daily summary reports the stream as failing and why; the next
    /// scheduled run plans the windows again. A message that is not a valid work item becomes a rejection record
    /// instead. Never throws for the message's content: the poison queue has no poison queue of its own.
    /// </summary>
    public async Task<string?> RecordPoisonAsync(string message, CancellationToken cancellationToken)
    {
        if (await AcceptAsync(message, cancellationToken, checkRange: false).ConfigureAwait(false) is not { } item)
        {
            return null;
        }

        var descriptor = Describe(item.Collector);
        var stream = EvidenceStream.Parse(item.Stream);
        var now = time.GetUtcNow();
        var yesterday = new DateTimeOffset(now.UtcDateTime.Date.AddDays(-1), TimeSpan.Zero);
        TimeWindow window;
        switch (Get(item.Collector))
        {
            case ISnapshotCollector snapshot:
                window = snapshot.WindowAt(now);
                break;
            case IWindowedCollector when item.Kind is WorkKind.Scheduled or WorkKind.Backfill:
                var planner = Windows(item.Collector).Planner();
                var first = planner.Floor(item.From);
                window = new TimeWindow(first, first + planner.Size);
                break;
            case IWindowedCollector when item.Kind == WorkKind.SweepDay:
                var day = new DateTimeOffset(item.From.UtcDateTime.Date, TimeSpan.Zero);
                window = new TimeWindow(day, day.AddDays(1));
                break;
            default:
                window = new TimeWindow(yesterday, yesterday.AddDays(1));
                break;
        }

        return await writer.RecordFailureAsync(
            new EvidenceBatch(descriptor.Id, descriptor.Criteria, stream, window),
            $"The work item {item} failed on every delivery and went to the poison queue; the Functions log has each attempt's error. The next scheduled run plans these windows again.",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The work item in a queue message when it is one this runtime may run; otherwise null, after a rejection record
    /// (source <c>collector-work</c>) says why.
    /// </summary>
    private async Task<WorkItem?> AcceptAsync(string message, CancellationToken cancellationToken, bool checkRange = true)
    {
        string? problem;
        WorkItem? item = null;
        try
        {
            item = WorkItem.FromMessage(message);
            problem = await ProblemAsync(item, checkRange, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            problem = $"not a work item this deployment can run: {ex.Message}";
        }

        if (problem is null)
        {
            return item;
        }

        LogRefused(logger, message.Length > 200 ? message[..200] : message, problem);
        await writer.WriteRejectionAsync(new RejectionRecord
        {
            Source = WorkQueue.RejectionSource,
            ReceivedAt = time.GetUtcNow(),
            Reason = $"The work-queue message was refused, not run: {problem}. Nothing was collected for it; the timers plan the due work again from each stream's checkpoint.",
            Events = [],
            AcceptedEvents = 0,
            Message = RejectedMessage.Of(System.Text.Encoding.UTF8.GetBytes(message)),
            CollectorVersion = EvidenceWriter.CollectorVersion,
        }, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Why a work item must not run, or null.</summary>
    private async Task<string?> ProblemAsync(WorkItem item, bool checkRange, CancellationToken cancellationToken)
    {
        if (!_collectors.TryGetValue(item.Collector, out var collector) || catalog.Find(item.Collector) is null)
        {
            return $"collector '{item.Collector}' is not registered here (retired, or the message is not ours)";
        }

        CollectorStream resolved;
        switch (collector)
        {
            case IWindowedCollector windowed when item.Kind is WorkKind.Scheduled or WorkKind.Backfill or WorkKind.SweepDue or WorkKind.SweepDay:
                resolved = Owned(item.Collector, await windowed.StreamAsync(item.Key, cancellationToken).ConfigureAwait(false));
                break;
            case ISnapshotCollector snapshot when item.Kind == WorkKind.Snapshot:
                resolved = Owned(item.Collector, await snapshot.StreamAsync(item.Key, cancellationToken).ConfigureAwait(false));
                break;
            default:
                return $"a {item.Kind} item cannot run on {item.Collector}";
        }

        if (resolved.Stream.Name != item.Stream)
        {
            return $"it names stream {item.Stream}, but key {item.Key} is stream {resolved.Stream.Name}";
        }

        if (!checkRange || item.Kind is WorkKind.Snapshot or WorkKind.SweepDue)
        {
            return null;
        }

        var planner = Windows(item.Collector).Planner();
        var retention = RetentionStart(item.Collector);
        if (item.Kind == WorkKind.SweepDay)
        {
            return item.From.UtcDateTime.TimeOfDay != TimeSpan.Zero || item.To != item.From.AddDays(1) ? $"the sweep day {TimeWindow.Iso(item.From)}–{TimeWindow.Iso(item.To)} is not one UTC day"
                : item.From < retention ? $"{item.From:yyyy-MM-dd} is beyond the source's retention ({Windows(item.Collector).RetentionDays} days)"
                : null;
        }

        var horizon = planner.Horizon(time.GetUtcNow());
        return item.From >= item.To ? $"its range {TimeWindow.Iso(item.From)}–{TimeWindow.Iso(item.To)} is empty"
            : planner.Floor(item.From) != item.From || planner.Floor(item.To) != item.To ? $"its range {TimeWindow.Iso(item.From)}–{TimeWindow.Iso(item.To)} is not on the {planner.Size.TotalMinutes:0}-minute grid of {item.Collector}"
            : item.To > horizon ? $"its range ends {TimeWindow.Iso(item.To)}, after the latest window that can be collected now ({TimeWindow.Iso(horizon)}: the lag); committing it would close windows whose data has not arrived"
            : item.From < retention ? $"its range starts {TimeWindow.Iso(item.From)}, before the source's retention ({Windows(item.Collector).RetentionDays} days): those windows would be committed empty"
            : null;
    }

    private async Task<CollectionRun> CommitWindowsAsync(CollectorDescriptor descriptor, IWindowedCollector collector, CollectorStream stream, WorkItem item, IProgress<CommitResult>? progress, CancellationToken cancellationToken)
    {
        var size = Windows(descriptor.Id).Size;
        var batches = new List<EvidenceBatch>();
        for (var start = item.From; start < item.To; start += size)
        {
            batches.Add(new EvidenceBatch(descriptor.Id, descriptor.Criteria, stream.Stream, new TimeWindow(start, start + size)));
        }

        // A stream's first run sets its cursor to its first window before anything is committed: with appends
        // overlapping, a later window may be committed while the first one fails, and a cursor that did not exist
        // would then start after the failed window, which the timer would never plan again.
        if (item.Kind == WorkKind.Scheduled && (await writer.ReadCheckpointAsync(stream.Stream, cancellationToken).ConfigureAwait(false)).NextWindowStart is null)
        {
            await writer.MoveCursorAsync(stream.Stream, item.From, cancellationToken).ConfigureAwait(false);
        }

        // The source is read one window at a time; the chain appends overlap it (EvidenceWriter.CommitWindowsAsync).
        // A scheduled item stops at its first failure: the cursor stays there and the next run starts again.
        var results = await writer.CommitWindowsAsync(
            batches,
            batch => (log, ct) => collector.ReadAsync(stream, batch.Window, log, ct),
            stopAtFailure: item.Kind == WorkKind.Scheduled,
            depth: AppendDepth,
            progress,
            cancellationToken).ConfigureAwait(false);
        return new CollectionRun(results);
    }

    private SweptStream Swept(CollectorDescriptor descriptor, IWindowedCollector collector, CollectorStream stream) =>
        new(descriptor.Id, descriptor.Criteria, stream.Stream, Windows(descriptor.Id).Size, descriptor.RecordId!, (window, log, ct) => collector.ReadAsync(stream, window, log, ct));

    /// <summary>A collector's id is its streams' prefix: a stream named otherwise is a defect, refused before anything is written.</summary>
    private static CollectorStream Owned(string id, CollectorStream stream) =>
        stream.Stream.Collector == id
            ? stream
            : throw new InvalidOperationException($"Collector {id} named a stream '{stream.Stream.Name}': a collector's streams are '{id}/<scope>' (its id is their prefix).");

    private static IReadOnlyList<CollectorStream> Owned(string id, IReadOnlyList<CollectorStream> streams)
    {
        foreach (var stream in streams)
        {
            Owned(id, stream);
        }

        return streams;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream} resumes at {Cursor:o}, older than its source's retention; windows before {Retention:o} can no longer be collected and remain a gap")]
    private static partial void LogBeyondRetention(ILogger logger, string stream, DateTimeOffset cursor, DateTimeOffset retention);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream {Stream} is not collected: {Reason}")]
    private static partial void LogOffGrid(ILogger logger, string stream, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Collector}: {Items} work item(s) put on queue {Queue}")]
    private static partial void LogEnqueued(ILogger logger, string collector, int items, string queue);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Collector} run: {Committed} window(s) committed, {Already} already committed, {Failed} failed, {Records} records")]
    private static partial void LogRun(ILogger logger, string collector, int committed, int already, int failed, long records);

    [LoggerMessage(Level = LogLevel.Information, Message = "Work item {Item}: {Committed} window(s) committed, {Already} already committed, {Failed} failed, {Records} records")]
    private static partial void LogItem(ILogger logger, string item, int committed, int already, int failed, long records);

    [LoggerMessage(Level = LogLevel.Error, Message = "A work-queue message was refused (rejection record written): {Problem}. Message: {Message}")]
    private static partial void LogRefused(ILogger logger, string message, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Work item {Item}: another item is working on this stream; nothing to do (the next timer run plans what is left)")]
    private static partial void LogBusy(ILogger logger, string item);
}

/// <summary>What a timer's run did: how many work items it planned, and (run in-process, without a work queue) what they committed.</summary>
public sealed record ScheduleOutcome(int Items, CollectionRun? Run);
