using Collectors.Evidence;

namespace Collectors.Runtime;

/// <summary>One stream of a collector, and the key that names it without asking the source (a subscription id, a vault id, a source name).</summary>
public sealed record CollectorStream(EvidenceStream Stream, string Key);

/// <summary>A collector the runtime runs. Its metadata is its folder's collector.json; its id is the descriptor's.</summary>
public interface ICollector
{
    string Id { get; }
}

/// <summary>
/// A collector of grid windows: all it supplies is its streams and how to read one window of one stream
/// as raw records. The runtime owns everything else: checkpoints, window plans, catch-up, retention,
/// backfill ranges, commits, error records, cursors, the late-arrival sweep, progress and fan-out.
/// </summary>
public interface IWindowedCollector : ICollector
{
    /// <summary>The streams to collect: the configured scopes, or those the identity can see; <paramref name="only"/> narrows them to keys given (the CLI's --scope).</summary>
    Task<IReadOnlyList<CollectorStream>> StreamsAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken);

    /// <summary>The stream a key names (work items carry the key, so running one asks nothing of the source).</summary>
    Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken);

    /// <summary>One window of one stream, every page, records exactly as the source returned them; marks the log complete only when every page was read.</summary>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CollectorStream stream, TimeWindow window, SourceLog log, CancellationToken cancellationToken);
}

/// <summary>
/// A collector of the present state: each snapshot is one window, labelled with the grid window it is taken
/// in (<see cref="WindowAt"/>); a second one in the same window commits nothing. The past cannot be snapshotted.
/// </summary>
public interface ISnapshotCollector : ICollector
{
    Task<IReadOnlyList<CollectorStream>> StreamsAsync(CancellationToken cancellationToken);

    Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken);

    /// <summary>The grid window containing <paramref name="now"/>.</summary>
    TimeWindow WindowAt(DateTimeOffset now);

    /// <summary>Streams snapshotted at once by one process (a source's quota may be per identity).</summary>
    int MaxParallelStreams { get; }

    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadSnapshotAsync(CollectorStream stream, SourceLog log, CancellationToken cancellationToken);
}
