using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;

namespace Collectors.Evidence;

/// <summary>
/// Checkpoints, one blob per stream in the state container, updated with If-Match. A stream's chain is
/// extended only under that blob's lease (<see cref="StreamLock"/>), so two writers can never both
/// append manifest N+1; everything a lost checkpoint knew is rebuilt from the manifests.
/// </summary>
public sealed partial class CheckpointStore(BlobContainerClient state, BlobContainerClient evidence, TimeProvider time, ILogger logger)
{
    internal const string SequenceMetadata = "sequence";
    internal const string KindMetadata = "kind";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LockWaitLimit = TimeSpan.FromMinutes(3);

    private BlobContainerClient Evidence => evidence;

    private TimeProvider Time => time;

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
                await lease.AcquireAsync(LeaseDuration, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new StreamLock(this, stream, blob, lease);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                if (time.GetElapsedTime(started) > LockWaitLimit)
                {
                    throw new TimeoutException(
                        $"Stream {stream} is locked by another writer for more than {LockWaitLimit.TotalMinutes} minutes (lease on {blob.Name} in container {state.Name}). If no other run is active the lease expires by itself within {LeaseDuration.TotalSeconds} s.", ex);
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

    /// <summary>Rebuilds a stream's checkpoint from its manifests (the source of truth).</summary>
    internal async Task<Checkpoint> RebuildAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        ChainHead? head = null;
        string? headName = null;
        long headSequence = -1;
        var windows = new List<TimeWindow>();
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = stream.Name + "/" }, cancellationToken).ConfigureAwait(false))
        {
            if (!EvidencePaths.TryParse(item.Name, out var parsed) || parsed.Kind != EvidenceBlobKind.Manifest || parsed.Stream != stream)
            {
                continue;
            }

            if (item.Metadata.TryGetValue(KindMetadata, out var kind) && kind == "window")
            {
                windows.Add(parsed.Window);
            }

            if (item.Metadata.TryGetValue(SequenceMetadata, out var text) && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var sequence) && sequence > headSequence)
            {
                headSequence = sequence;
                headName = item.Name;
            }
        }

        if (headName is not null)
        {
            var bytes = (await evidence.GetBlobClient(headName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
            var manifest = JsonSerializer.Deserialize<EvidenceManifest>(bytes.Span, EvidenceJson.Options)!;
            head = new ChainHead(headName, Convert.ToHexStringLower(SHA256.HashData(bytes.Span)), manifest.Sequence, manifest.Window.Start, manifest.Window.End);
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

        LogRebuilt(logger, stream.Name, headSequence + 1, next);
        return new Checkpoint { Stream = stream.Name, Head = head, NextWindowStart = next, UpdatedAt = time.GetUtcNow(), RebuiltAt = time.GetUtcNow() };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint for stream {Stream} was missing and has been rebuilt from {Manifests} manifests; next window starts {NextWindowStart}")]
    private static partial void LogRebuilt(ILogger logger, string stream, long manifests, DateTimeOffset? nextWindowStart);

    /// <summary>Exclusive right to extend one stream's chain, for up to a minute. Dispose to release.</summary>
    public sealed class StreamLock : IAsyncDisposable
    {
        private readonly CheckpointStore _owner;
        private readonly BlobClient _blob;
        private readonly BlobLeaseClient _lease;
        private ETag _etag;

        internal StreamLock(CheckpointStore owner, EvidenceStream stream, BlobClient blob, BlobLeaseClient lease)
        {
            _owner = owner;
            Stream = stream;
            _blob = blob;
            _lease = lease;
        }

        public EvidenceStream Stream { get; }

        /// <summary>Reads the checkpoint and settles a pending manifest left by a writer that stopped half-way.</summary>
        public async Task<Checkpoint> ReadAsync(CancellationToken cancellationToken)
        {
            var (checkpoint, etag) = await DownloadAsync(_blob, cancellationToken).ConfigureAwait(false);
            _etag = etag;
            if (checkpoint.Pending is not { } pending)
            {
                return checkpoint;
            }

            var manifestBlob = _owner.Evidence.GetBlobClient(pending.Manifest);
            ChainHead? promoted = null;
            try
            {
                var bytes = (await manifestBlob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
                var manifest = JsonSerializer.Deserialize<EvidenceManifest>(bytes.Span, EvidenceJson.Options)!;
                if (manifest.Sequence == pending.Sequence)
                {
                    promoted = pending with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes.Span)) };
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // The writer stopped before the manifest: nothing was committed.
            }

            var settled = checkpoint with
            {
                Head = promoted ?? checkpoint.Head,
                Pending = null,
                NextWindowStart = promoted is not null && checkpoint.NextWindowStart == promoted.WindowStart ? promoted.WindowEnd : checkpoint.NextWindowStart,
                UpdatedAt = _owner.Time.GetUtcNow(),
            };
            await WriteAsync(settled, cancellationToken).ConfigureAwait(false);
            return settled;
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

        public async ValueTask DisposeAsync()
        {
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
