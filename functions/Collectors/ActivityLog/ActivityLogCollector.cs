using Collectors.Evidence;
using Collectors.Runtime;
using Microsoft.Extensions.Options;

namespace Collectors.ActivityLog;

/// <summary>
/// Each subscription's Activity Log, one stream per subscription (<c>activity-log/sub-&lt;id&gt;</c>); the
/// runtime cuts it into windows, commits them, catches up and sweeps.
/// </summary>
internal sealed class ActivityLogCollector(ActivityLogClient client, IOptions<ActivityLogOptions> options) : IWindowedCollector
{
    public const string Id = "activity-log";

    string ICollector.Id => Id;

    public static EvidenceStream StreamFor(string subscriptionId) => new(Id, $"sub-{subscriptionId.ToLowerInvariant()}");

    /// <summary>The configured subscriptions (or <paramref name="only"/>), validated, or every one the identity can read.</summary>
    public async Task<IReadOnlyList<CollectorStream>> StreamsAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var configured = only is { Count: > 0 } ? only : options.Value.Subscriptions;
        foreach (var id in configured)
        {
            if (!Guid.TryParse(id, out _))
            {
                throw new ArgumentException($"'{id}' is not a subscription id (a GUID). Check Collectors__ActivityLog__Subscriptions or --scope.");
            }
        }

        if (configured.Count > 0)
        {
            return [.. configured.Select(s => s.ToLowerInvariant()).Distinct().Select(s => new CollectorStream(StreamFor(s), s))];
        }

        var all = await client.ListSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        if (all.Count == 0)
        {
            throw new EvidenceSourceException("The identity can read no subscription, so there is no Activity Log to collect. Grant it Reader on the subscriptions to monitor, or list them in Collectors__ActivityLog__Subscriptions.");
        }

        return [.. all.Select(s => new CollectorStream(StreamFor(s), s))];
    }

    public Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken) =>
        Guid.TryParse(key, out _)
            ? Task.FromResult(new CollectorStream(StreamFor(key), key.ToLowerInvariant()))
            : throw new ArgumentException($"'{key}' is not a subscription id (a GUID).");

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CollectorStream stream, TimeWindow window, SourceLog log, CancellationToken cancellationToken) =>
        client.ReadWindowAsync(stream.Key, window, log, cancellationToken);
}
