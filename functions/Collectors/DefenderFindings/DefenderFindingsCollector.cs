using System.Globalization;
using System.Runtime.CompilerServices;
using Collectors.Arm;
using Collectors.Evidence;
using Collectors.Runtime;
using Microsoft.Extensions.Options;

namespace Collectors.DefenderFindings;

/// <summary>
/// Full-population snapshots of Defender for Cloud through Resource Graph: assessments of every status, open
/// alerts, secure scores, and the SOC standards' regulatory compliance, as raw rows in one window per
/// snapshot, one stream per subscription or one for the tenant. The runtime labels a snapshot with the grid
/// window that contains the moment it is taken; a second one in the same window commits nothing.
/// </summary>
internal sealed class DefenderFindingsCollector(ResourceGraphClient graph, ArmRestClient arm, IOptions<DefenderOptions> options) : ISnapshotCollector
{
    public const string Id = "defender-findings";

    /// <summary>The key of the tenant stream's work items (subscription streams are keyed by their id).</summary>
    private const string TenantKey = "tenant:";

    string ICollector.Id => Id;

    private DefenderOptions Options => options.Value;

    public int MaxParallelStreams => Options.MaxParallelScopes;

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
    public async Task<IReadOnlyList<CollectorStream>> StreamsAsync(CancellationToken cancellationToken)
    {
        foreach (var id in Options.Subscriptions.Where(s => !Guid.TryParse(s, out _)))
        {
            throw new ArgumentException($"'{id}' is not a subscription id (a GUID). Check Collectors__DefenderFindings__Subscriptions.");
        }

        if (Options.Subscriptions.Count > 0)
        {
            return [.. Options.Subscriptions.Select(s => s.ToLowerInvariant()).Distinct().Select(s => new CollectorStream(StreamForSubscription(s), s))];
        }

        var tenant = string.IsNullOrWhiteSpace(Options.TenantId) ? await arm.GetTenantIdAsync(cancellationToken).ConfigureAwait(false) : Options.TenantId;
        if (string.IsNullOrWhiteSpace(tenant) || !Guid.TryParse(tenant, out _))
        {
            throw new EvidenceSourceException("The tenant of the collector's identity could not be read from its token, so the tenant stream cannot be named. Set Collectors__DefenderFindings__TenantId, or list subscriptions in Collectors__DefenderFindings__Subscriptions__N.");
        }

        return [new CollectorStream(StreamForTenant(tenant), TenantKey + tenant.ToLowerInvariant())];
    }

    public Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken) =>
        key.StartsWith(TenantKey, StringComparison.Ordinal) && Guid.TryParse(key[TenantKey.Length..], out _)
            ? Task.FromResult(new CollectorStream(StreamForTenant(key[TenantKey.Length..]), key))
            : Guid.TryParse(key, out _)
                ? Task.FromResult(new CollectorStream(StreamForSubscription(key), key.ToLowerInvariant()))
                : throw new ArgumentException($"'{key}' is neither a subscription id nor {TenantKey}<tenant id>.");

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadSnapshotAsync(CollectorStream stream, SourceLog log, CancellationToken cancellationToken)
    {
        IReadOnlyList<string>? subscriptions = stream.Key.StartsWith(TenantKey, StringComparison.Ordinal) ? null : [stream.Key];
        return ReadAsync(DefenderQueries.For(subscriptions, Options.EffectiveRegulatoryStandards, Options.PageSize), log, cancellationToken);
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(IReadOnlyList<ResourceGraphQuery> queries, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
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
}
