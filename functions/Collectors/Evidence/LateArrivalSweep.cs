using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Collectors.Signing;
using Microsoft.Extensions.Logging;

namespace Collectors.Evidence;

/// <summary>Reads one window of a source again, every page, records as returned.</summary>
public delegate IAsyncEnumerable<ReadOnlyMemory<byte>> WindowReader(TimeWindow window, SourceLog log, CancellationToken cancellationToken);

/// <summary>
/// One stream as the sweep sees it: whose evidence it is, its window size, how to read a window from the
/// source again, and which top-level JSON property identifies a record (Graph: <c>id</c>; the Activity
/// Log: <c>eventDataId</c>).
/// </summary>
public sealed record SweptStream(string Collector, IReadOnlyList<string> Criteria, EvidenceStream Stream, TimeSpan WindowSize, string IdProperty, WindowReader Read);

/// <summary>
/// The late-arrival sweep, for any windowed collector: re-reads each committed window of a day and commits
/// the records not captured yet (by their id) as a supplement manifest linked to the original, which is
/// never touched. Run daily after an hour, it covers every day since the last one swept, in order: a day is
/// swept once all its windows are committed, and counts as swept when nothing failed. Sweeping a day again
/// commits nothing.
/// </summary>
public sealed partial class LateArrivalSweep(EvidenceWriter writer, EvidenceReader reader, SweepLedger ledger, TimeProvider time, ILogger<LateArrivalSweep> logger)
{
    /// <summary>Days an incomplete day is waited for before it is swept as it is.</summary>
    internal const int IncompleteGraceDays = 2;

    /// <summary>
    /// Sweeps every day since the last one swept up to yesterday, once <paramref name="sweepHourUtc"/> has
    /// passed, never before <paramref name="earliest"/> (what the source still retains).
    /// </summary>
    public async Task<IReadOnlyList<CommitResult>> SweepIfDueAsync(SweptStream stream, int sweepHourUtc, DateOnly earliest, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now.UtcDateTime.Hour < sweepHourUtc)
        {
            return [];
        }

        var yesterday = DateOnly.FromDateTime(now.UtcDateTime.Date.AddDays(-1));
        var first = await ledger.LastSweptAsync(stream.Stream, cancellationToken).ConfigureAwait(false) is { } done ? done.AddDays(1) : yesterday;
        first = first < earliest ? earliest : first;
        var all = new List<CommitResult>();
        for (var day = first; day <= yesterday; day = day.AddDays(1))
        {
            // A day whose windows are not all committed yet is swept by a later run, once they are; but a day
            // still incomplete two days later (a window that keeps failing) is swept as it is, so one stuck
            // window cannot hold up every later day's sweep: its gap is the summary's to report.
            if (!await IsCompleteAsync(stream, day, cancellationToken).ConfigureAwait(false) && yesterday.DayNumber - day.DayNumber < IncompleteGraceDays)
            {
                break;
            }

            var results = await SweepDayAsync(stream, day, cancellationToken).ConfigureAwait(false);
            all.AddRange(results);
            if (results.Any(r => r.Status == CommitStatus.Failed))
            {
                break;
            }

            await ledger.RecordAsync(stream.Stream, day, cancellationToken).ConfigureAwait(false);
        }

        return all;
    }

    /// <summary>Re-reads every committed window of a day and commits the records it did not have as supplements.</summary>
    public async Task<IReadOnlyList<CommitResult>> SweepDayAsync(SweptStream stream, DateOnly day, CancellationToken cancellationToken)
    {
        var manifests = await ManifestsOfDayAsync(stream.Stream, day, cancellationToken).ConfigureAwait(false);
        var results = new List<CommitResult>();
        foreach (var original in manifests.Where(m => m.Manifest.Kind == "window"))
        {
            var window = new TimeWindow(original.Manifest.Window.Start, original.Manifest.Window.End);
            var family = manifests.Where(m => m.Manifest.Window.Start == window.Start && m.Manifest.Window.End == window.End).ToList();
            if (await SweepWindowAsync(stream, original, family, cancellationToken).ConfigureAwait(false) is { } result)
            {
                results.Add(result);
            }
        }

        LogSwept(logger, stream.Stream.Name, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), results.Count(r => r.Status == CommitStatus.Committed), results.Sum(r => r.Records));
        return results;
    }

    /// <summary>A supplement of what the source returns now and the window's manifests do not hold; null when nothing is new.</summary>
    private async Task<CommitResult?> SweepWindowAsync(SweptStream stream, CommittedManifest original, List<CommittedManifest> family, CancellationToken cancellationToken)
    {
        var window = new TimeWindow(original.Manifest.Window.Start, original.Manifest.Window.End);
        HashSet<string> known;
        try
        {
            known = await KnownKeysAsync(stream.IdProperty, family, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            LogSweepFailed(logger, ex, stream.Stream.Name, window.Start);
            return new CommitResult(CommitStatus.Failed, stream.Stream, window, null, 0, null, $"The committed evidence of this window cannot be read back ({ex.Message}); run 'collectors verify'. Late records were not swept.");
        }

        var scan = new SourceLog();
        var late = new List<byte[]>();
        long seen = 0;
        try
        {
            await foreach (var record in stream.Read(window, scan, cancellationToken).ConfigureAwait(false))
            {
                seen++;
                if (known.Add(Key(record.Span, stream.IdProperty)))
                {
                    late.Add(record.ToArray());
                }
            }
        }
        catch (EvidenceSourceException ex)
        {
            LogSweepFailed(logger, ex, stream.Stream.Name, window.Start);
            return new CommitResult(CommitStatus.Failed, stream.Stream, window, null, 0, null, ex.Message);
        }

        if (late.Count == 0)
        {
            return null;
        }

        // Linked like every chain link: by the original's canonical hash (what its signature signs).
        var sha = SignedJson.ChainHash((await reader.Container.GetBlobClient(original.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory().Span);
        var note = string.Create(CultureInfo.InvariantCulture, $"Late-arrival sweep on {TimeWindow.Iso(time.GetUtcNow())}: {late.Count} record(s) not in {original.Name} or its earlier supplements, of {seen} the source now returns.");
        return await writer.CommitSupplementAsync(
            new EvidenceBatch(stream.Collector, stream.Criteria, stream.Stream, window),
            new ManifestLink(original.Name, sha),
            await NextSupplementAsync(stream.Stream, window, cancellationToken).ConfigureAwait(false),
            (log, ct) => Replay(scan, late, scan.Note is { } sourceNote ? $"{note} {sourceNote}" : note, log, ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The next supplement number of a window, counted from the names in storage (a blob planted or damaged
    /// at a supplement's name still takes its number, so the sweep never stalls on it).
    /// </summary>
    private async Task<int> NextSupplementAsync(EvidenceStream stream, TimeWindow window, CancellationToken cancellationToken)
    {
        var stem = $"{EvidencePaths.Folder(stream, window)}/{EvidencePaths.Stem(window)}.supplement-";
        var highest = 0;
        await foreach (var item in reader.Container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = stem }, cancellationToken).ConfigureAwait(false))
        {
            var rest = item.Name[stem.Length..];
            if (rest.EndsWith(EvidencePaths.ManifestSuffix, StringComparison.Ordinal) && int.TryParse(rest[..^EvidencePaths.ManifestSuffix.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                highest = Math.Max(highest, n);
            }
        }

        return highest + 1;
    }

    /// <summary>The manifests (windows and supplements) of windows starting on the day.</summary>
    private async Task<List<CommittedManifest>> ManifestsOfDayAsync(EvidenceStream stream, DateOnly day, CancellationToken cancellationToken)
    {
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var manifests = new List<CommittedManifest>();
        await foreach (var manifest in reader.ManifestsAsync(stream, from, from.AddDays(1), cancellationToken).ConfigureAwait(false))
        {
            if (manifest.Manifest.Window.Start >= from && manifest.Manifest.Window.Start < from.AddDays(1))
            {
                manifests.Add(manifest);
            }
        }

        return manifests;
    }

    private async Task<bool> IsCompleteAsync(SweptStream stream, DateOnly day, CancellationToken cancellationToken)
    {
        var windows = (await ManifestsOfDayAsync(stream.Stream, day, cancellationToken).ConfigureAwait(false)).Count(m => m.Manifest.Kind == "window");
        return windows >= (int)(TimeSpan.FromDays(1) / stream.WindowSize);
    }

    /// <summary>The keys of every record a window's manifests hold, each read back against its hash.</summary>
    private async Task<HashSet<string>> KnownKeysAsync(string idProperty, List<CommittedManifest> family, CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in family)
        {
            await foreach (var record in reader.RecordsAsync(member, cancellationToken).ConfigureAwait(false))
            {
                known.Add(Key(record.Json.Span, idProperty));
            }
        }

        return known;
    }

    /// <summary>A record's id; a record without one is known by the SHA-256 of its bytes, so it too is stored once.</summary>
    private static string Key(ReadOnlySpan<byte> json, string idProperty) =>
        EvidenceReader.ReadString(json, idProperty) is { } id ? "id:" + id : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(json));

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Replay(SourceLog scan, List<byte[]> records, string note, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var request in scan.Requests)
        {
            log.AddRequest(request);
        }

        for (var i = 0; i < scan.Pages; i++)
        {
            log.AddPage();
        }

        foreach (var record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
        log.Note = note;
        if (scan.Complete)
        {
            log.MarkComplete();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Late-arrival sweep of stream {Stream} window {WindowStart:o} failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception, string stream, DateTimeOffset windowStart);

    [LoggerMessage(Level = LogLevel.Information, Message = "Late-arrival sweep of stream {Stream} for {Day}: {Supplements} supplement(s), {Records} late record(s)")]
    private static partial void LogSwept(ILogger logger, string stream, string day, int supplements, long records);
}
