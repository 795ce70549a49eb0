using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;

namespace Collectors.Evidence;

/// <summary>
/// Checkpoints, one blob per stream in the state container, updated with If-Match: a cache of the chain
/// head and of where the timer resumes. A stream's chain is extended under that blob's lease
/// (<see cref="StreamLock"/>), which keeps writers apart; positions themselves are taken by write-once
/// chain claims (<see cref="ChainAppender"/>). Everything a lost checkpoint knew is found again in the evidence.
/// </summary>
public sealed partial class CheckpointStore(BlobContainerClient state, BlobContainerClient evidence, TimeProvider time, ILogger logger, TimeSpan? leaseDuration = null)
{
    internal const string SequenceMetadata = "sequence";
    internal const string KindMetadata = "kind";
    private readonly TimeSpan _leaseDuration = leaseDuration ?? TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LockWaitLimit = TimeSpan.FromMinutes(3);

    public static string BlobName(EvidenceStream stream) => $"{stream.Name}.checkpoint.json";

    /// <summary>Reads the checkpoint without locking; rebuilds (and stores) it when missing.</summary>
    public async Task<Checkpoint> ReadAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        await EnsureExistsAsync(stream, cancellationToken).ConfigureAwait(false);
        var (checkpoint, _) = await DownloadAsync(state.GetBlobClient(BlobName(stream)), cancellationToken).ConfigureAwait(false);
        return checkpoint;
    }

    /// <summary>Takes the stream's lock: a lease on its checkpoint blob. Waits while another writer holds it.</summary>
    public async Task<StreamLock> LockAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        await EnsureExistsAsync(stream, cancellationToken).ConfigureAwait(false);
        var blob = state.GetBlobClient(BlobName(stream));
        var lease = blob.GetBlobLeaseClient();
        var started = time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await lease.AcquireAsync(_leaseDuration, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new StreamLock(stream, blob, lease, _leaseDuration / 3, time);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                if (time.GetElapsedTime(started) > LockWaitLimit)
                {
                    throw new TimeoutException(
                        $"Stream {stream} is locked by another writer for more than {LockWaitLimit.TotalMinutes} minutes (lease on {blob.Name} in container {state.Name}). If no other run is active the lease expires by itself within {_leaseDuration.TotalSeconds} s.", ex);
                }

                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100)), time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    internal static async Task<(Checkpoint Checkpoint, ETag ETag)> DownloadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var response = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
        var checkpoint = response.Value.Content.ToObjectFromJson<Checkpoint>(EvidenceJson.Options)
            ?? throw new InvalidDataException($"Checkpoint {blob.Name} is empty.");
        return (checkpoint, response.Value.Details.ETag);
    }

    private async Task EnsureExistsAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        var blob = state.GetBlobClient(BlobName(stream));
        if (await blob.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var rebuilt = await RebuildAsync(stream, cancellationToken).ConfigureAwait(false);
        try
        {
            await blob.UploadAsync(
                BinaryData.FromObjectAsJson(rebuilt, EvidenceJson.Options),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Another writer created it first; theirs is as good as ours.
        }
    }

    /// <summary>
    /// Rebuilds a stream's checkpoint from its manifests (the source of truth): where the timer resumes.
    /// The chain head is left empty; the next writer finds it from the chain claims.
    /// </summary>
    internal async Task<Checkpoint> RebuildAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        var windows = new List<TimeWindow>();
        var manifests = 0;
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = stream.Name + "/" }, cancellationToken).ConfigureAwait(false))
        {
            if (!EvidencePaths.TryParse(item.Name, out var parsed) || parsed.Kind != EvidenceBlobKind.Manifest || parsed.Stream != stream)
            {
                continue;
            }

            manifests++;
            if (item.Metadata.TryGetValue(KindMetadata, out var kind) && kind == "window")
            {
                windows.Add(parsed.Window);
            }
        }

        DateTimeOffset? next = null;
        if (windows.Count > 0)
        {
            // The timer resumes at the first hole after the earliest committed window.
            windows.Sort((a, b) => a.Start.CompareTo(b.Start));
            next = windows[0].End;
            foreach (var window in windows.Skip(1))
            {
                if (window.Start > next)
                {
                    break;
                }

                next = window.End > next ? window.End : next;
            }
        }

        LogRebuilt(logger, stream.Name, manifests, next);
        return new Checkpoint { Stream = stream.Name, Head = null, NextWindowStart = next, UpdatedAt = time.GetUtcNow(), RebuiltAt = time.GetUtcNow() };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint for stream {Stream} was missing and has been rebuilt from {Manifests} manifests; next window starts {NextWindowStart}")]
    private static partial void LogRebuilt(ILogger logger, string stream, int manifests, DateTimeOffset? nextWindowStart);

    /// <summary>
    /// The right to extend one stream's chain: a lease on its checkpoint blob, renewed in the background
    /// while held. It keeps writers from colliding; the chain claims, not the lease, make forks impossible.
    /// Dispose to release.
    /// </summary>
    public sealed class StreamLock : IAsyncDisposable
    {
        private readonly BlobClient _blob;
        private readonly BlobLeaseClient _lease;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewal;
        private ETag _etag;

        internal StreamLock(EvidenceStream stream, BlobClient blob, BlobLeaseClient lease, TimeSpan renewEvery, TimeProvider time)
        {
            Stream = stream;
            _blob = blob;
            _lease = lease;
            _renewal = RenewAsync(renewEvery, time);
        }

        public EvidenceStream Stream { get; }

        public async Task<Checkpoint> ReadAsync(CancellationToken cancellationToken)
        {
            var (checkpoint, etag) = await DownloadAsync(_blob, cancellationToken).ConfigureAwait(false);
            _etag = etag;
            return checkpoint;
        }

        /// <summary>Replaces the checkpoint, guarded by the lease and the ETag of the last read or write.</summary>
        public async Task WriteAsync(Checkpoint checkpoint, CancellationToken cancellationToken)
        {
            var response = await _blob.UploadAsync(
                BinaryData.FromObjectAsJson(checkpoint, EvidenceJson.Options),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = _etag, LeaseId = _lease.LeaseId } },
                cancellationToken).ConfigureAwait(false);
            _etag = response.Value.ETag;
        }

        private Task RenewAsync(TimeSpan every, TimeProvider time) => LeaseRenewal.RunAsync(_lease, every, time, _stop.Token);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewal.ConfigureAwait(false);
            _stop.Dispose();
            try
            {
                await _lease.ReleaseAsync().ConfigureAwait(false);
            }
            catch (RequestFailedException)
            {
                // Expired or already broken: nothing to release.
            }
        }
    }
}

/// <summary>Keeps a blob lease while its holder works: renews it every <c>every</c> until stopped, or until it is lost.</summary>
internal static class LeaseRenewal
{
    public static async Task RunAsync(BlobLeaseClient lease, TimeSpan every, TimeProvider time, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, time, stop).ConfigureAwait(false);
                try
                {
                    await lease.RenewAsync(cancellationToken: stop).ConfigureAwait(false);
                }
                catch (RequestFailedException)
                {
                    // Lost (expired while stalled, or broken): the holder's own checks decide what that means.
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Released.
        }
    }
}
