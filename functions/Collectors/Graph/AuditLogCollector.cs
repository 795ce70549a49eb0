using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Azure.Core;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;

namespace Collectors.Graph;

/// <summary>
/// Collects Entra audit logs from Graph, one stream per source (tenant, and event type for sign-ins):
/// hourly windows collected after a lag, catching up missed windows, a daily late-arrival sweep that
/// commits supplements for records not captured yet, and backfill within the retention.
/// </summary>
public sealed partial class AuditLogCollector(
    IReadOnlyList<AuditLogSource> sources,
    AuditLogOptions options,
    GraphReportingClient client,
    EvidenceWriter writer,
    EvidenceReader reader,
    SweepLedger ledger,
    TokenCredential credential,
    Uri graphAudience,
    TimeProvider time,
    ILogger logger)
{
    private string? _tenantId;

    public IReadOnlyList<AuditLogSource> Sources => sources;

    public WindowPlanner Planner => new(TimeSpan.FromMinutes(options.WindowMinutes), TimeSpan.FromMinutes(options.LagMinutes), options.MaxWindowsPerRun, TimeSpan.FromHours(options.FirstRunLookbackHours));

    public DateTimeOffset RetentionStart => time.GetUtcNow().AddDays(-options.RetentionDays);

    /// <summary>The tenant, from the Graph token's tid claim (the stream scope).</summary>
    public async Task<string> TenantIdAsync(CancellationToken cancellationToken)
    {
        if (_tenantId is not null)
        {
            return _tenantId;
        }

        var token = await credential.GetTokenAsync(new TokenRequestContext([$"{graphAudience.GetLeftPart(UriPartial.Authority)}/.default"]), cancellationToken).ConfigureAwait(false);
        var tid = EvidenceStore.ReadClaims(token.Token).GetValueOrDefault("tid");
        return _tenantId = tid is { Length: > 0 } ? tid : throw new EvidenceSourceException("The Graph access token names no tenant (tid claim); set Azure__TenantId or use a work-account credential.");
    }

    public async Task<CollectionRun> RunScheduledAsync(CancellationToken cancellationToken)
    {
        var tenant = await TenantIdAsync(cancellationToken).ConfigureAwait(false);
        var planner = Planner;
        var results = new ConcurrentBag<CommitResult>();
        foreach (var source in sources)
        {
            var stream = source.StreamFor(tenant);
            var checkpoint = await writer.ReadCheckpointAsync(stream, cancellationToken).ConfigureAwait(false);
            var cursor = checkpoint.NextWindowStart;
            var retention = planner.Ceiling(RetentionStart.AddHours(1));
            if (cursor is { } c && c < retention)
            {
                LogBeyondRetention(logger, stream.Name, c, retention);
                cursor = retention;
                await writer.MoveCursorAsync(stream, retention, cancellationToken).ConfigureAwait(false);
            }

            foreach (var window in planner.PlanRun(cursor, time.GetUtcNow()))
            {
                var result = await CommitAsync(source, stream, window, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                if (result.Status == CommitStatus.Failed)
                {
                    break;
                }
            }

            if (options.Sweep)
            {
                foreach (var result in await SweepIfDueAsync(source, stream, cancellationToken).ConfigureAwait(false))
                {
                    results.Add(result);
                }
            }
        }

        return new CollectionRun([.. results.OrderBy(r => r.Stream.Name, StringComparer.Ordinal).ThenBy(r => r.Window.Start)]);
    }

    public IReadOnlyList<TimeWindow> PlanBackfill(DateTimeOffset from, DateTimeOffset to)
    {
        var planner = Planner;
        var windows = planner.PlanBackfill(from, to, time.GetUtcNow());
        if (windows[0].Start < RetentionStart)
        {
            var earliest = TimeWindow.Iso(planner.Ceiling(RetentionStart));
            throw new ArgumentException(
                $"Entra keeps sign-in and audit logs for {options.RetentionDays} days (30 with Entra ID P1/P2, 7 without; Collectors__*__RetentionDays): the range starts {TimeWindow.Iso(windows[0].Start)}, but the earliest window that can still be collected starts {earliest}. Use --from {earliest} or later.");
        }

        return windows;
    }

    public async Task<CollectionRun> BackfillAsync(DateTimeOffset from, DateTimeOffset to, IProgress<CommitResult>? progress, CancellationToken cancellationToken)
    {
        var windows = PlanBackfill(from, to);
        var tenant = await TenantIdAsync(cancellationToken).ConfigureAwait(false);
        var results = new List<CommitResult>();
        foreach (var source in sources)
        {
            foreach (var window in windows)
            {
                var result = await CommitAsync(source, source.StreamFor(tenant), window, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                progress?.Report(result);
            }
        }

        return new CollectionRun(results);
    }

    /// <summary>Re-reads every committed window of a day and commits the records it did not have as supplements.</summary>
    public async Task<IReadOnlyList<CommitResult>> SweepAsync(AuditLogSource source, EvidenceStream stream, DateOnly day, CancellationToken cancellationToken)
    {
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var manifests = new List<CommittedManifest>();
        await foreach (var manifest in reader.ManifestsAsync(stream, from, from.AddDays(1), cancellationToken).ConfigureAwait(false))
        {
            manifests.Add(manifest);
        }

        var results = new List<CommitResult>();
        foreach (var original in manifests.Where(m => m.Manifest.Kind == "window" && m.Manifest.Window.Start >= from && m.Manifest.Window.Start < from.AddDays(1)))
        {
            var window = new TimeWindow(original.Manifest.Window.Start, original.Manifest.Window.End);
            var family = manifests.Where(m => m.Manifest.Window.Start == window.Start && m.Manifest.Window.End == window.End).ToList();
            var known = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var member in family)
                {
                    await foreach (var record in reader.RecordsAsync(member, cancellationToken).ConfigureAwait(false))
                    {
                        if (EvidenceReader.ReadString(record.Json.Span, "id") is { } id)
                        {
                            known.Add(id);
                        }
                    }
                }
            }
            catch (InvalidDataException ex)
            {
                LogSweepFailed(logger, ex, stream.Name, window.Start);
                results.Add(new CommitResult(CommitStatus.Failed, stream, window, null, 0, null, $"The committed evidence of this window cannot be read back ({ex.Message}); run 'collectors verify'. Late records were not swept."));
                continue;
            }

            var scan = new SourceLog();
            var late = new List<byte[]>();
            long seen = 0;
            try
            {
                await foreach (var record in Read(source, window, scan, cancellationToken).ConfigureAwait(false))
                {
                    seen++;
                    if (EvidenceReader.ReadString(record.Span, "id") is not { } id || !known.Contains(id))
                    {
                        late.Add(record.ToArray());
                    }
                }
            }
            catch (EvidenceSourceException ex)
            {
                LogSweepFailed(logger, ex, stream.Name, window.Start);
                results.Add(new CommitResult(CommitStatus.Failed, stream, window, null, 0, null, ex.Message));
                continue;
            }

            if (late.Count == 0)
            {
                continue;
            }

            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData((await reader.Container.GetBlobClient(original.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory().Span));
            var number = family.Count(m => m.Manifest.Kind == "supplement") + 1;
            var note = string.Create(CultureInfo.InvariantCulture, $"Late-arrival sweep on {TimeWindow.Iso(time.GetUtcNow())}: {late.Count} record(s) not in {original.Name} or its earlier supplements, of {seen} the source now returns.");
            var result = await writer.CommitSupplementAsync(
                new EvidenceBatch(source.Collector, source.Criteria, stream, window),
                new ManifestLink(original.Name, sha),
                number,
                (log, ct) => Replay(scan, late, note, log, ct),
                cancellationToken).ConfigureAwait(false);
            results.Add(result);
        }

        return results;
    }

    /// <summary>
    /// Sweeps every day since the last one swept, up to yesterday, once the sweep hour has passed. A day is
    /// recorded as swept only when all its windows are committed and nothing failed; otherwise the next run tries again.
    /// </summary>
    private async Task<IReadOnlyList<CommitResult>> SweepIfDueAsync(AuditLogSource source, EvidenceStream stream, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now.UtcDateTime.Hour < options.SweepHourUtc)
        {
            return [];
        }

        var yesterday = DateOnly.FromDateTime(now.UtcDateTime.Date.AddDays(-1));
        var earliest = DateOnly.FromDateTime(RetentionStart.UtcDateTime.Date.AddDays(1));
        var last = await ledger.LastSweptAsync(stream, cancellationToken).ConfigureAwait(false);
        var first = last is { } done ? done.AddDays(1) : yesterday;
        first = first < earliest ? earliest : first;
        var all = new List<CommitResult>();
        var perDay = (int)(TimeSpan.FromDays(1) / TimeSpan.FromMinutes(options.WindowMinutes));
        for (var day = first; day <= yesterday; day = day.AddDays(1))
        {
            var results = await SweepAsync(source, stream, day, cancellationToken).ConfigureAwait(false);
            all.AddRange(results);
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var committed = 0;
            await foreach (var manifest in reader.ManifestsAsync(stream, start, start.AddDays(1), cancellationToken).ConfigureAwait(false))
            {
                committed += manifest.Manifest.Kind == "window" && manifest.Manifest.Window.Start >= start && manifest.Manifest.Window.Start < start.AddDays(1) ? 1 : 0;
            }

            LogSwept(logger, stream.Name, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), results.Count(r => r.Status == CommitStatus.Committed), results.Sum(r => r.Records));
            if (committed < perDay || results.Any(r => r.Status == CommitStatus.Failed))
            {
                break;
            }

            await ledger.RecordAsync(stream, day, cancellationToken).ConfigureAwait(false);
        }

        return all;
    }

    private Task<CommitResult> CommitAsync(AuditLogSource source, EvidenceStream stream, TimeWindow window, CancellationToken cancellationToken) =>
        writer.CommitWindowAsync(new EvidenceBatch(source.Collector, source.Criteria, stream, window), (log, ct) => Read(source, window, log, ct), cancellationToken);

    private IAsyncEnumerable<ReadOnlyMemory<byte>> Read(AuditLogSource source, TimeWindow window, SourceLog log, CancellationToken cancellationToken)
    {
        var url = source.Url(client.Endpoint, window, Math.Clamp(options.PageSize, 1, 1000));
        log.AddRequest(new SourceRequest("GET", url.GetLeftPart(UriPartial.Path), source.Version, source.Filter(window)));
        return client.ReadAsync(url, log, failure => Explain(source, failure), cancellationToken);
    }

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

    internal static EvidenceSourceException Explain(AuditLogSource source, GraphFailure failure)
    {
        var path = $"/{source.Version}/auditLogs/{source.Resource}";
        var licence = string.Equals(failure.Code, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", StringComparison.OrdinalIgnoreCase)
            || failure.Message.Contains("premium license", StringComparison.OrdinalIgnoreCase);
        return failure.Status switch
        {
            403 when licence => new EvidenceSourceException(
                $"Graph returned 403 {failure.Code} for {path}: the tenant has no Microsoft Entra ID P1 or P2 licence, which reading sign-in logs through the API requires. See README#permissions. Graph said: {failure.Message}",
                403, failure.Code),
            403 => new EvidenceSourceException(
                $"Graph returned 403 {failure.Code} for {path}: the app needs the AuditLog.Read.All application permission with admin consent (the postprovision hook grants it; see README#permissions). Graph said: {failure.Message}",
                403, failure.Code),
            401 => new EvidenceSourceException($"Graph returned 401 {failure.Code} for {path}: the token was not accepted. Check Azure__Credential and Azure__Cloud. Graph said: {failure.Message}", 401, failure.Code),
            400 => new EvidenceSourceException($"Graph rejected the query for {path} with 400 {failure.Code}: {failure.Message}", 400, failure.Code),
            _ => new EvidenceSourceException(
                $"Graph kept answering {failure.Status} {failure.Code} for {path} after the retries; nothing was committed and the next run retries this window. Graph said: {failure.Message}",
                failure.Status, failure.Code),
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream} resumes at {Cursor:o}, older than the retention; windows before {Retention:o} can no longer be collected and remain a gap")]
    private static partial void LogBeyondRetention(ILogger logger, string stream, DateTimeOffset cursor, DateTimeOffset retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Late-arrival sweep of stream {Stream} window {WindowStart:o} failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception, string stream, DateTimeOffset windowStart);

    [LoggerMessage(Level = LogLevel.Information, Message = "Late-arrival sweep of stream {Stream} for {Day}: {Supplements} supplement(s), {Records} late record(s)")]
    private static partial void LogSwept(ILogger logger, string stream, string day, int supplements, long records);
}
