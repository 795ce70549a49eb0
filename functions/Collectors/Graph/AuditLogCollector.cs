using System.Collections.Concurrent;
using System.Globalization;
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
    LateArrivalSweep sweep,
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
                var earliest = DateOnly.FromDateTime(RetentionStart.UtcDateTime.Date.AddDays(1));
                foreach (var result in await sweep.SweepIfDueAsync(Swept(source, stream), options.SweepHourUtc, earliest, cancellationToken).ConfigureAwait(false))
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

    /// <summary>The late-arrival sweep of one day over every source: supplements for records not captured yet.</summary>
    public async Task<CollectionRun> SweepDayAsync(DateOnly day, CancellationToken cancellationToken)
    {
        if (day < DateOnly.FromDateTime(RetentionStart.UtcDateTime.Date))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Entra keeps sign-in and audit logs for {options.RetentionDays} days (Collectors__*__RetentionDays): {day:yyyy-MM-dd} can no longer be read again, so there is nothing to sweep. Sweep {RetentionStart.UtcDateTime.Date.AddDays(1):yyyy-MM-dd} or later."));
        }

        var tenant = await TenantIdAsync(cancellationToken).ConfigureAwait(false);
        var results = new List<CommitResult>();
        foreach (var source in sources)
        {
            results.AddRange(await sweep.SweepDayAsync(Swept(source, source.StreamFor(tenant)), day, cancellationToken).ConfigureAwait(false));
        }

        return new CollectionRun(results);
    }

    private SweptStream Swept(AuditLogSource source, EvidenceStream stream) =>
        new(source.Collector, source.Criteria, stream, TimeSpan.FromMinutes(options.WindowMinutes), "id", (window, log, ct) => Read(source, window, log, ct));

    private Task<CommitResult> CommitAsync(AuditLogSource source, EvidenceStream stream, TimeWindow window, CancellationToken cancellationToken) =>
        writer.CommitWindowAsync(new EvidenceBatch(source.Collector, source.Criteria, stream, window), (log, ct) => Read(source, window, log, ct), cancellationToken);

    private IAsyncEnumerable<ReadOnlyMemory<byte>> Read(AuditLogSource source, TimeWindow window, SourceLog log, CancellationToken cancellationToken)
    {
        var url = source.Url(client.Endpoint, window, Math.Clamp(options.PageSize, 1, 1000));
        log.AddRequest(new SourceRequest("GET", url.GetLeftPart(UriPartial.Path), source.Version, source.Filter(window)));
        return client.ReadAsync(url, log, failure => Explain(source, failure), cancellationToken);
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
}
