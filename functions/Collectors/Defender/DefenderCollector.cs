using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Collectors.Arm;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Defender;

/// <summary>One stream of snapshots: a subscription, or the whole tenant (no subscriptions: Resource Graph's tenant scope).</summary>
public sealed record DefenderScope(EvidenceStream Stream, IReadOnlyList<string>? Subscriptions);

/// <summary>
/// Takes full-population snapshots of Defender for Cloud through Resource Graph: assessments of every
/// status, open alerts, secure scores, and the SOC standards' regulatory compliance, as raw rows in one
/// window per snapshot. A snapshot is labelled with the grid window that contains the moment it is
/// taken; a second snapshot in the same window commits nothing. The past cannot be snapshotted.
/// </summary>
public sealed partial class DefenderCollector(ResourceGraphClient graph, ArmRestClient arm, EvidenceWriter writer, IOptions<DefenderOptions> options, TimeProvider time, ILogger<DefenderCollector> logger)
{
    public const string Id = "defender-findings";

    public static readonly IReadOnlyList<string> Criteria = ["CC7.1", "CC6.8", "CC3.2"];

    private DefenderOptions Options => options.Value;

    public static EvidenceStream StreamForSubscription(string subscriptionId) => new(Id, $"sub-{subscriptionId.ToLowerInvariant()}");

    public static EvidenceStream StreamForTenant(string tenantId) => new(Id, $"tenant-{tenantId.ToLowerInvariant()}");

    /// <summary>The grid window containing <paramref name="now"/>: the label of a snapshot taken then.</summary>
    public TimeWindow WindowAt(DateTimeOffset now)
    {
        var size = TimeSpan.FromHours(Options.SnapshotHours);
        var utc = now.ToUniversalTime();
        var start = new DateTimeOffset(utc.Ticks - (utc.Ticks % size.Ticks), TimeSpan.Zero);
        return new TimeWindow(start, start + size);
    }

    /// <summary>The configured subscriptions (one stream each), or the tenant of the identity.</summary>
    public async Task<IReadOnlyList<DefenderScope>> ResolveScopesAsync(CancellationToken cancellationToken)
    {
        foreach (var id in Options.Subscriptions.Where(s => !Guid.TryParse(s, out _)))
        {
            throw new ArgumentException($"'{id}' is not a subscription id (a GUID). Check Collectors__Defender__Subscriptions.");
        }

        if (Options.Subscriptions.Count > 0)
        {
            return [.. Options.Subscriptions.Select(s => s.ToLowerInvariant()).Distinct().Select(s => new DefenderScope(StreamForSubscription(s), [s]))];
        }

        var tenant = string.IsNullOrWhiteSpace(Options.TenantId) ? await arm.GetTenantIdAsync(cancellationToken).ConfigureAwait(false) : Options.TenantId;
        if (string.IsNullOrWhiteSpace(tenant) || !Guid.TryParse(tenant, out _))
        {
            throw new EvidenceSourceException("The tenant of the collector's identity could not be read from its token, so the tenant stream cannot be named. Set Collectors__Defender__TenantId, or list subscriptions in Collectors__Defender__Subscriptions__N.");
        }

        return [new DefenderScope(StreamForTenant(tenant), null)];
    }

    /// <summary>Takes a snapshot of every scope now, labelled with the current grid window.</summary>
    public async Task<CollectionRun> SnapshotAsync(CancellationToken cancellationToken)
    {
        var window = WindowAt(time.GetUtcNow());
        var scopes = await ResolveScopesAsync(cancellationToken).ConfigureAwait(false);
        var results = new ConcurrentBag<CommitResult>();
        await Parallel.ForEachAsync(scopes, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Options.MaxParallelScopes), CancellationToken = cancellationToken }, async (scope, ct) =>
        {
            results.Add(await SnapshotAsync(scope, window, ct).ConfigureAwait(false));
        }).ConfigureAwait(false);
        var run = new CollectionRun([.. results.OrderBy(r => r.Stream.Name, StringComparer.Ordinal)]);
        LogRun(logger, window.Start, window.End, scopes.Count, run.Committed, run.AlreadyCommitted, run.Failed, run.Records);
        return run;
    }

    /// <summary>One scope's snapshot into <paramref name="window"/>, the window of now (the past cannot be snapshotted, so this is not public).</summary>
    private Task<CommitResult> SnapshotAsync(DefenderScope scope, TimeWindow window, CancellationToken cancellationToken)
    {
        var queries = DefenderQueries.For(scope.Subscriptions, Options.EffectiveRegulatoryStandards, Options.PageSize);
        return writer.CommitWindowAsync(
            new EvidenceBatch(Id, Criteria, scope.Stream, window),
            (log, ct) => ReadSnapshotAsync(queries, log, ct),
            cancellationToken);
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadSnapshotAsync(IReadOnlyList<ResourceGraphQuery> queries, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var counts = new List<string>();
        foreach (var query in queries)
        {
            long rows = 0;
            await foreach (var row in graph.QueryAsync(query, log, cancellationToken).ConfigureAwait(false))
            {
                rows++;
                yield return row;
            }

            counts.Add(string.Create(CultureInfo.InvariantCulture, $"{query.Name} {rows}"));
        }

        // Complete only when every query of the population has been read to its end and matched its totalRecords.
        log.Note = $"Snapshot rows by query (each equal to Resource Graph's totalRecords): {string.Join(", ", counts)}. Rows are ordered by query, then by id.";
        log.MarkComplete();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Defender snapshot {WindowStart:o}–{WindowEnd:o} over {Scopes} stream(s): {Committed} committed, {Already} already committed, {Failed} failed, {Records} records")]
    private static partial void LogRun(ILogger logger, DateTimeOffset windowStart, DateTimeOffset windowEnd, int scopes, int committed, int already, int failed, long records);
}
