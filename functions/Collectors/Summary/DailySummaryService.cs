using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;

namespace Collectors.Summary;

public sealed record SummaryRun(DailySummary Summary, string Html, CommitResult Commit, string? MailStatus);

/// <summary>
/// Builds, stores and sends the daily summary. The JSON document and the HTML report are committed as
/// the window [D, D+1) of the stream <c>summaries/daily</c> (same format and chain, so verify covers
/// them). Sending is claimed once per date in the state container, so a re-run never sends twice; a
/// failure (or a send interrupted past the timeout) is recorded write-once and reported in the next
/// day's summary. The timer catches up days it missed, oldest first, so each day's drift compares with
/// the day before.
/// </summary>
public sealed partial class DailySummaryService(
    DailySummaryBuilder builder,
    EvidenceWriter writer,
    EvidenceReader reader,
    BlobContainerClient state,
    Func<GraphServiceClient> graph,
    SummaryOptions options,
    TimeProvider time,
    ILogger<DailySummaryService> logger)
{
    public static readonly EvidenceStream Stream = new(DailySummaryBuilder.SummariesCollector, "daily");

    private readonly SummaryMailer _mail = new(reader.Container, writer.Sealer, state, graph, options, time, logger);

    /// <summary>
    /// The timer's run: summarises and sends every day up to yesterday that has no summary yet, oldest
    /// first, looking back at most <see cref="SummaryOptions.MaxCatchUpDays"/> (never before the first
    /// evidence), and yesterday in any case (a re-run sends what was not sent; it never sends twice).
    /// </summary>
    public async Task<IReadOnlyList<SummaryRun>> RunDueAsync(CancellationToken cancellationToken)
    {
        var runs = new List<SummaryRun>();
        foreach (var day in await DueDaysAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var run = await RunAsync(day, send: true, cancellationToken).ConfigureAwait(false);
                LogSummary(logger, run.Summary.Subject, run.MailStatus ?? "not sent");
                runs.Add(run);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One day that cannot be summarised (storage trouble, damaged evidence) must not stop the others.
                LogDayFailed(logger, ex, Format(day));
            }
        }

        return runs;
    }

    public async Task<SummaryRun> RunAsync(DateOnly date, bool send, CancellationToken cancellationToken)
    {
        // The summary of a day is written once; a re-run reuses it (and may still send it, once).
        var window = Window(date);
        var (summary, commit) = await LoadAsync(date, cancellationToken).ConfigureAwait(false) is { } committed
            ? (committed, new CommitResult(CommitStatus.AlreadyCommitted, Stream, window, EvidencePaths.Manifest(Stream, window), 1, null, "already committed"))
            : await BuildAndCommitAsync(date, cancellationToken).ConfigureAwait(false);
        var report = HtmlReport.Render(summary);
        // Only a stored summary is mailed: the mail's anchor digest must be one verify can find.
        var mail = !send ? null
            : commit.Status == CommitStatus.Failed ? $"not sent: the summary could not be stored ({commit.Reason}); the next run stores and sends it"
            : await _mail.SendOnceAsync(summary, report, cancellationToken).ConfigureAwait(false);
        return new SummaryRun(summary, report, commit, mail);
    }

    private async Task<(DailySummary Summary, CommitResult Commit)> BuildAndCommitAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var previousDay = date.AddDays(-1);
        var previous = await LoadAsync(previousDay, cancellationToken).ConfigureAwait(false);
        await _mail.RecordIfInterruptedAsync(Format(previousDay), cancellationToken).ConfigureAwait(false);
        var failures = await _mail.FailuresAsync(previousDay, cancellationToken).ConfigureAwait(false);
        var summary = await builder.BuildAsync(date, previous, failures, cancellationToken).ConfigureAwait(false);
        var json = JsonSerializer.SerializeToUtf8Bytes(summary, EvidenceJson.Compact);
        var commit = await writer.CommitWindowAsync(
            new EvidenceBatch(Stream.Collector, ["CC2.1", "CC4.1"], Stream, Window(date)),
            (log, ct) => One(json, log, ct),
            [new EvidenceAttachment("report.html", "text/html; charset=utf-8", BinaryData.FromString(HtmlReport.Render(summary)))],
            cancellationToken).ConfigureAwait(false);
        // A racing run committed first: its summary is the one that stands.
        return commit.Status == CommitStatus.AlreadyCommitted
            ? (await LoadAsync(date, cancellationToken).ConfigureAwait(false) ?? summary, commit)
            : (summary, commit);
    }

    /// <summary>Days without a summary in the catch-up range, oldest first, then yesterday.</summary>
    private async Task<List<DateOnly>> DueDaysAsync(CancellationToken cancellationToken)
    {
        var yesterday = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime.Date).AddDays(-1);
        var oldest = yesterday.AddDays(1 - options.MaxCatchUpDays);
        var missing = new List<DateOnly>();
        for (var day = oldest.AddDays(-1); day < yesterday; day = day.AddDays(1))
        {
            if (!await IsSummarisedAsync(day, cancellationToken).ConfigureAwait(false))
            {
                missing.Add(day);
            }
        }

        // Before the first evidence there was nothing to summarise: a new deployment does not mail a week of empty days.
        var first = missing.Count == 0 ? null : await FirstEvidenceDayAsync(cancellationToken).ConfigureAwait(false);
        missing.RemoveAll(day => first is null || day < first);
        if (missing.Remove(oldest.AddDays(-1)))
        {
            LogGapLeft(logger, Format(oldest.AddDays(-1)), options.MaxCatchUpDays);
        }

        return [.. missing, yesterday];
    }

    private async Task<bool> IsSummarisedAsync(DateOnly day, CancellationToken cancellationToken) =>
        await reader.Container.GetBlobClient(EvidencePaths.Manifest(Stream, Window(day))).ExistsAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The earliest day folder of any collector's stream (summaries and rejections aside); null when there is no evidence.</summary>
    private async Task<DateOnly?> FirstEvidenceDayAsync(CancellationToken cancellationToken)
    {
        if (!await reader.Container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        DateOnly? first = null;
        await foreach (var collector in ChildrenAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (collector is $"{DailySummaryBuilder.SummariesCollector}/" or EvidencePaths.RejectionsPrefix)
            {
                continue;
            }

            await foreach (var scope in ChildrenAsync(collector, cancellationToken).ConfigureAwait(false))
            {
                // Listings are in name order, so each level's first folder is its earliest: stream/yyyy/MM/dd/.
                var day = scope;
                for (var level = 0; level < 3 && day is not null; level++)
                {
                    day = await FirstChildAsync(day, cancellationToken).ConfigureAwait(false);
                }

                if (day is not null && DateOnly.TryParseExact(day[scope.Length..].TrimEnd('/'), "yyyy/MM/dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) && (first is null || parsed < first))
                {
                    first = parsed;
                }
            }
        }

        return first;
    }

    private async IAsyncEnumerable<string> ChildrenAsync(string? prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in reader.Container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/", Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (item.IsPrefix)
            {
                yield return item.Prefix;
            }
        }
    }

    private async Task<string?> FirstChildAsync(string prefix, CancellationToken cancellationToken)
    {
        await foreach (var child in ChildrenAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            return child;
        }

        return null;
    }

    private static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The committed summary of a day, if there is one.</summary>
    public async Task<DailySummary?> LoadAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var window = Window(date);
        await foreach (var manifest in reader.ManifestsAsync(Stream, window.Start, window.End, cancellationToken).ConfigureAwait(false))
        {
            if (manifest.Manifest.Kind != "window" || manifest.Manifest.Window.Start != window.Start)
            {
                continue;
            }

            // Read to the end, so the content's hash and record count are checked before it is trusted.
            DailySummary? summary = null;
            await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
            {
                summary ??= JsonSerializer.Deserialize<DailySummary>(record.Json.Span, EvidenceJson.Options);
            }

            return summary;
        }

        return null;
    }

    private static TimeWindow Window(DateOnly date)
    {
        var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return new TimeWindow(start, start.AddDays(1));
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> One(byte[] json, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        log.AddRequest(new SourceRequest("FILE", "evidence://manifests-errors-findings", null, null));
        log.AddPage();
        await Task.CompletedTask.ConfigureAwait(false);
        yield return json;
        log.MarkComplete();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Subject}; mail: {Mail}")]
    private static partial void LogSummary(ILogger logger, string subject, string mail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The summary of {Day} (and perhaps earlier days) is missing and older than Summary__MaxCatchUpDays ({MaxCatchUpDays}): left unsummarised; run 'collectors summary --date {Day} --send' to summarise it")]
    private static partial void LogGapLeft(ILogger logger, string day, int maxCatchUpDays);

    [LoggerMessage(Level = LogLevel.Error, Message = "The summary of {Date} could not be built or stored; the next run tries again")]
    private static partial void LogDayFailed(ILogger logger, Exception exception, string date);
}
