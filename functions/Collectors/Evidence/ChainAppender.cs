using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Collectors.Signing;
using Microsoft.Extensions.Logging;

namespace Collectors.Evidence;

/// <summary>A manifest to append to its stream's chain: everything but <c>sequence</c> and <c>previous</c>.</summary>
internal sealed record ChainRequest(EvidenceStream Stream, EvidenceManifest Draft);

/// <summary>What became of one request: committed (with the manifest as signed), already there, or failed and why.</summary>
internal sealed record ChainResult(CommitStatus Status, EvidenceManifest? Manifest, string? Reason);

/// <summary>
/// Appends manifests to a stream's hash chain. Positions are taken by a write-once claim
/// (<see cref="ChainClaim"/>), never by the lease alone, so a writer whose lease ran out while it was
/// stalled can never fork the chain: whoever finds a claim writes its manifests and goes past it. The
/// lease on the checkpoint (renewed while held) only keeps writers from colliding. Requests for one
/// stream that arrive while a batch is being committed wait and go together in the next: one lease,
/// one claim and one checkpoint update for up to <see cref="DefaultMaxBatch"/> manifests, so a burst of events
/// does not queue behind one lease per event.
/// </summary>
internal sealed partial class ChainAppender(EvidenceStore store, CheckpointStore checkpoints, EvidenceSealer sealer, TimeProvider time, ILogger logger)
{
    private readonly ChainClaims _claims = new(store.Connection.Evidence, sealer.Check);

    internal const int DefaultMaxBatch = 64;

    /// <summary>Manifests of one stream committed together at most (1 turns batching off: the benchmark's comparison).</summary>
    internal int MaxBatch { get; set; } = DefaultMaxBatch;

    /// <summary>How long one batch may take once the lock is held; storage calls past it are abandoned (a claim already written is finished by the next writer).</summary>
    internal static readonly TimeSpan WorkLimit = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, StreamQueue> _queues = new(StringComparer.Ordinal);

    public async Task<ChainResult> AppendAsync(ChainRequest request, CancellationToken cancellationToken)
    {
        var queue = _queues.GetOrAdd(request.Stream.Name, _ => new StreamQueue());
        var waiting = new Waiting(request, new TaskCompletionSource<ChainResult>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        bool lead;
        lock (queue.Gate)
        {
            queue.Waiting.Add(waiting);
            lead = !queue.Draining;
            queue.Draining = true;
        }

        if (lead)
        {
            _ = Task.Run(() => DrainAsync(request.Stream, queue), CancellationToken.None);
        }

        return await waiting.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DrainAsync(EvidenceStream stream, StreamQueue queue)
    {
        while (true)
        {
            List<Waiting> batch;
            lock (queue.Gate)
            {
                if (queue.Waiting.Count == 0)
                {
                    queue.Draining = false;
                    return;
                }

                batch = queue.Waiting.Take(MaxBatch).ToList();
                queue.Waiting.RemoveRange(0, batch.Count);
            }

            try
            {
                await CommitBatchAsync(stream, batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                foreach (var waiting in batch)
                {
                    waiting.Done.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>
    /// Commits one batch under the stream's lock and completes each request. A request whose caller gave up
    /// before its position was claimed is dropped (cancelled), never committed behind the caller's back; the
    /// wait for the lock ends when every caller has given up.
    /// </summary>
    private async Task CommitBatchAsync(EvidenceStream stream, List<Waiting> batch)
    {
        using var everyoneGone = new CancellationTokenSource();
        var live = batch.Count;
        var registrations = batch.Select(w => w.CallerToken.Register(() =>
        {
            if (Interlocked.Decrement(ref live) == 0)
            {
                everyoneGone.Cancel();
            }
        })).ToList();
        try
        {
            var readiness = await store.EnsureReadyAsync(everyoneGone.Token).ConfigureAwait(false);
            await using var streamLock = await checkpoints.LockAsync(stream, everyoneGone.Token).ConfigureAwait(false);
            foreach (var gone in batch.Where(w => w.CallerToken.IsCancellationRequested))
            {
                gone.Done.TrySetCanceled(gone.CallerToken);
            }

            var taken = batch.Where(w => !w.CallerToken.IsCancellationRequested).ToList();
            if (taken.Count == 0)
            {
                return;
            }

            var results = await CommitUnderLockAsync(stream, streamLock, readiness, [.. taken.Select(w => w.Request.Draft)]).ConfigureAwait(false);
            for (var i = 0; i < taken.Count; i++)
            {
                taken[i].Done.TrySetResult(results[i]);
            }
        }
        catch (OperationCanceledException) when (everyoneGone.IsCancellationRequested)
        {
            foreach (var gone in batch)
            {
                gone.Done.TrySetCanceled(gone.CallerToken);
            }
        }
        finally
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }

    private async Task<ChainResult[]> CommitUnderLockAsync(EvidenceStream stream, CheckpointStore.StreamLock streamLock, StoreReadiness readiness, IReadOnlyList<EvidenceManifest> drafts)
    {
        using var limit = new CancellationTokenSource(WorkLimit);
        try
        {
            return await CommitWithinAsync(stream, streamLock, readiness, drafts, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (limit.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Committing to stream {stream.Name} took longer than {WorkLimit.TotalMinutes} minutes under its lock (storage too slow?). A chain claim already written is finished by the next writer; anything not claimed is retried by the next run.", ex);
        }
    }

    private async Task<ChainResult[]> CommitWithinAsync(EvidenceStream stream, CheckpointStore.StreamLock streamLock, StoreReadiness readiness, IReadOnlyList<EvidenceManifest> drafts, CancellationToken ct)
    {
        var checkpoint = await streamLock.ReadAsync(ct).ConfigureAwait(false);
        var head = await VerifiedHeadAsync(stream, checkpoint.Head, readiness, ct).ConfigureAwait(false);
        var cursor = checkpoint.NextWindowStart;
        var results = new ChainResult?[drafts.Count];
        while (true)
        {
            // 1. Names already committed (by an earlier run, or in a claim just settled) are not appended again.
            var existing = await Task.WhenAll(Enumerable.Range(0, drafts.Count).Select(i => results[i] is null ? CheckExistingAsync(stream, drafts[i], ct) : Task.FromResult<ChainResult?>(null))).ConfigureAwait(false);
            var todo = new List<int>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < drafts.Count; i++)
            {
                if (results[i] is not null)
                {
                    continue;
                }

                if (existing[i] is { } found)
                {
                    results[i] = found;
                }
                else if (!names.Add(drafts[i].Name))
                {
                    // The same name twice in one batch (one event delivered twice at once): the first is appended.
                    results[i] = new ChainResult(CommitStatus.AlreadyCommitted, null, "already committed (the same manifest was in this batch)");
                }
                else
                {
                    todo.Add(i);
                }
            }

            if (todo.Count == 0)
            {
                break;
            }

            // 2. Sign the batch as consecutive links after the head. A link records the canonical hash of
            //    its predecessor (what the predecessor's signature signs), so the signatures can be made at once.
            var first = (head?.Sequence ?? -1) + 1;
            var previous = head is null ? null : new ManifestLink(head.Manifest, head.Sha256, head.VersionId);
            var manifests = new List<EvidenceManifest>(todo.Count);
            var unsigned = new List<byte[]>(todo.Count);
            foreach (var index in todo)
            {
                var manifest = drafts[index] with { Sequence = first + manifests.Count, Previous = previous };
                var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, EvidenceJson.Options);
                manifests.Add(manifest);
                unsigned.Add(bytes);
                previous = new ManifestLink(manifest.Name, Convert.ToHexStringLower(SignedJson.Digest(bytes)));
            }

            var signed = await Task.WhenAll(unsigned.Select(bytes => sealer.SealAsync(bytes, ct))).ConfigureAwait(false);
            var claim = new ChainClaim
            {
                Stream = stream.Name,
                First = first,
                ClaimedAt = time.GetUtcNow(),
                Manifests = [.. manifests.Select((m, k) => new ClaimedManifest(m.Name, Convert.ToHexStringLower(SignedJson.Digest(unsigned[k])), Convert.ToBase64String(signed[k])))],
            };
            var claimBytes = await sealer.SealAsync(JsonSerializer.SerializeToUtf8Bytes(claim, EvidenceJson.Compact), ct).ConfigureAwait(false);

            // 3. Claim the positions. A claim that holds them already is settled first, then the batch goes
            //    after it; a blob at the name that is not a valid claim (planted, damaged) is stepped over.
            var outcome = await ClaimAsync(stream, first, claimBytes, head, readiness, ct).ConfigureAwait(false);
            if (outcome.Won is not { } claimName)
            {
                head = outcome.Head;
                cursor = Advance(cursor, outcome.Windows);
                continue;
            }

            Written[] written;
            try
            {
                written = await MaterialiseAsync(stream, claim, readiness, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RequestFailedException or IOException or HttpRequestException)
            {
                throw new ChainClaimedException(claimName, ex);
            }

            for (var k = 0; k < todo.Count; k++)
            {
                results[todo[k]] = written[k].Problem is { } problem
                    ? new ChainResult(CommitStatus.Failed, null, problem)
                    : new ChainResult(CommitStatus.Committed, manifests[k], null);
            }

            var last = manifests[^1];
            head = new ChainHead(last.Name, claim.Manifests[^1].Sha256, last.Sequence, last.Window.Start, last.Window.End, claimName, written[^1].VersionId);
            cursor = Advance(cursor, manifests);
            break;
        }

        try
        {
            await streamLock.WriteAsync(checkpoint with { Head = head, NextWindowStart = cursor, UpdatedAt = time.GetUtcNow() }, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            // The chain is extended whatever happens to the cache; the next writer settles it from the claims.
            LogCheckpointStale(logger, ex, stream.Name);
        }

        return [.. results.Select(r => r!)];
    }

    /// <summary>The timer's cursor moves past grid windows it was waiting on (or, with none yet, past the first committed).</summary>
    private static DateTimeOffset? Advance(DateTimeOffset? cursor, IEnumerable<EvidenceManifest> committed)
    {
        foreach (var manifest in committed.Where(m => m.Kind == "window"))
        {
            if (cursor is null || (cursor >= manifest.Window.Start && cursor < manifest.Window.End))
            {
                cursor = manifest.Window.End;
            }
        }

        return cursor;
    }

    /// <summary>A manifest already at the draft's name: already committed if it checks out, else a failure that says why (never overwritten).</summary>
    private async Task<ChainResult?> CheckExistingAsync(EvidenceStream stream, EvidenceManifest draft, CancellationToken cancellationToken)
    {
        var existing = await ExistingAsync(stream, draft.Name, new TimeWindow(draft.Window.Start, draft.Window.End), cancellationToken).ConfigureAwait(false);
        return existing switch
        {
            null => null,
            { Problem: { } why } => new ChainResult(CommitStatus.Failed, null, why),
            _ => new ChainResult(CommitStatus.AlreadyCommitted, null, "already committed"),
        };
    }

    /// <summary>A manifest found at a name: null <see cref="Problem"/> when it checks out.</summary>
    internal sealed record Existing(string? Problem);

    /// <summary>
    /// Whether a manifest exists at <paramref name="name"/> and, if so, whether it is one this deployment
    /// signed for this stream and window. Null when there is none.
    /// </summary>
    internal async Task<Existing?> ExistingAsync(EvidenceStream stream, string name, TimeWindow window, CancellationToken cancellationToken)
    {
        BinaryData data;
        try
        {
            data = (await store.Connection.Evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }

        var problem = await ManifestProblemAsync(data.ToMemory(), name, stream, cancellationToken).ConfigureAwait(false);
        if (problem is null)
        {
            var manifest = JsonSerializer.Deserialize<EvidenceManifest>(data.ToMemory().Span, EvidenceJson.Options)!;
            if (manifest.Window.Start != window.Start || manifest.Window.End != window.End)
            {
                problem = $"it describes window {TimeWindow.Iso(manifest.Window.Start)}–{TimeWindow.Iso(manifest.Window.End)}";
            }
        }

        return new Existing(problem is null ? null
            : $"A manifest already exists at {name}, but {problem}. It is not treated as committed and nothing was written over it; this is what tampering looks like: run 'collectors verify --stream {stream.Name}' and investigate before collecting this window again.");
    }

    /// <summary>Null when the bytes are a manifest signed by this deployment's key for this stream and name; else the problem.</summary>
    private async Task<string?> ManifestProblemAsync(ReadOnlyMemory<byte> bytes, string name, EvidenceStream stream, CancellationToken cancellationToken)
    {
        var signature = await sealer.Check.CheckAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (!signature.Valid)
        {
            return signature.Problem;
        }

        EvidenceManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<EvidenceManifest>(bytes.Span, EvidenceJson.Options);
        }
        catch (JsonException ex)
        {
            return $"it is not a manifest ({ex.Message})";
        }

        if (manifest is null || manifest.Schema != EvidenceManifest.SchemaId)
        {
            return $"it is not a {EvidenceManifest.SchemaId} manifest";
        }

        return manifest.Name != name || manifest.Stream != stream.Name
            ? $"it names itself {manifest.Name} in stream {manifest.Stream}"
            : null;
    }

    private sealed record ClaimOutcome(string? Won, ChainHead? Head, IReadOnlyList<EvidenceManifest> Windows);

    /// <summary>
    /// Takes positions from <paramref name="first"/> with the claim, trying attempt names in order. Returns
    /// the claim's name when this call holds the positions; otherwise the new head after settling the valid
    /// claim that holds them (or after finding that written manifests already reach past them).
    /// </summary>
    private async Task<ClaimOutcome> ClaimAsync(EvidenceStream stream, long first, byte[] claimBytes, ChainHead? head, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        var steppedOver = false;
        for (var attempt = 0; attempt < ChainClaims.MaxAttempts; attempt++)
        {
            var name = EvidencePaths.Claim(stream, first, attempt);
            var blob = store.Connection.Evidence.GetBlobClient(name);
            try
            {
                await blob.UploadAsync(new BinaryData(claimBytes), store.CreateOnce(readiness, "application/json"), cancellationToken).ConfigureAwait(false);
                return new ClaimOutcome(name, head, []);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Someone's claim is there; if the SDK retried a PUT whose answer was lost, it is ours.
            }

            var stored = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
            if (stored.Span.SequenceEqual(claimBytes))
            {
                return new ClaimOutcome(name, head, []);
            }

            var reading = await _claims.ReadAsync(stream, name, cancellationToken).ConfigureAwait(false);
            if (reading is { Valid: true })
            {
                var settled = await SettleAsync(stream, reading, head, readiness, cancellationToken).ConfigureAwait(false);
                return new ClaimOutcome(null, settled, reading.Manifests);
            }

            LogClaimSkipped(logger, stream.Name, name, reading?.Problem ?? "unreadable");
            if (!steppedOver)
            {
                // Before stepping over an invalid claim, make sure no written manifest already holds these
                // positions (a valid claim may have been overwritten or deleted): never fork around it.
                steppedOver = true;
                if (await DiscoverHeadAsync(stream, readiness, cancellationToken).ConfigureAwait(false) is { } found && found.Sequence >= first)
                {
                    return new ClaimOutcome(null, found, []);
                }
            }
        }

        throw new EvidenceIntegrityException(
            $"Chain position {first} of stream {stream.Name} has {ChainClaims.MaxAttempts} claim blobs and none checks out: someone with write access to the evidence container is planting them. Run 'collectors verify --stream {stream.Name}' and investigate.");
    }

    /// <summary>Writes any manifest of another writer's valid claim that is not written yet, and returns the head after it.</summary>
    private async Task<ChainHead> SettleAsync(EvidenceStream stream, ClaimReading reading, ChainHead? head, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        var firstManifest = reading.Manifests[0];
        if (head is not null && (firstManifest.Previous?.Manifest != head.Manifest || firstManifest.Previous?.Sha256 != head.Sha256))
        {
            throw new EvidenceIntegrityException(
                $"Chain claim {reading.Name} holds position {reading.First} of stream {stream.Name} but links to {firstManifest.Previous?.Manifest ?? "nothing"}, not to the head {head.Manifest}. Run 'collectors verify --stream {stream.Name}'.");
        }

        var written = await MaterialiseAsync(stream, reading.Claim!, readiness, cancellationToken).ConfigureAwait(false);
        LogSettled(logger, stream.Name, reading.Name, reading.Manifests.Count);
        var last = reading.Manifests[^1];
        return new ChainHead(last.Name, reading.Claim!.Manifests[^1].Sha256, last.Sequence, last.Window.Start, last.Window.End, reading.Name, written[^1].VersionId);
    }

    private readonly record struct Written(string? VersionId, string? Problem);

    /// <summary>
    /// Writes every manifest of a claim that is not there yet. An existing blob must be the same bytes;
    /// one that is not (written outside the chain) is reported for that manifest, never written over,
    /// and does not stop the stream: the claim keeps the signed manifest.
    /// </summary>
    private async Task<Written[]> MaterialiseAsync(EvidenceStream stream, ChainClaim claim, StoreReadiness readiness, CancellationToken cancellationToken) =>
        await Task.WhenAll(claim.Manifests.Select(async (entry, k) =>
        {
            var bytes = Convert.FromBase64String(entry.Bytes);
            var manifest = JsonSerializer.Deserialize<EvidenceManifest>(bytes, EvidenceJson.Options)!;
            var blob = store.Connection.Evidence.GetBlobClient(entry.Name);
            var metadata = new Dictionary<string, string>
            {
                [CheckpointStore.SequenceMetadata] = (claim.First + k).ToString(CultureInfo.InvariantCulture),
                [CheckpointStore.KindMetadata] = manifest.Kind,
            };
            try
            {
                return new Written((await blob.UploadAsync(new BinaryData(bytes), store.CreateOnce(readiness, "application/json", metadata), cancellationToken).ConfigureAwait(false)).Value.VersionId, null);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                var stored = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                if (stored.Value.Content.ToMemory().Span.SequenceEqual(bytes))
                {
                    return new Written(stored.Value.Details.VersionId, null);
                }

                LogNameOccupied(logger, stream.Name, entry.Name, claim.First + k);
                return new Written(null,
                    $"Chain position {claim.First + k} of stream {stream.Name} is claimed for {entry.Name}, but a blob that is not this manifest was written at that name first (outside the chain): it was not written over. The claim keeps the signed manifest; run 'collectors verify --stream {stream.Name}' and investigate.");
            }
        })).ConfigureAwait(false);

    /// <summary>
    /// The checkpoint's head if the claim it names holds it as its last manifest; otherwise the head is
    /// found again from the evidence itself.
    /// </summary>
    private async Task<ChainHead?> VerifiedHeadAsync(EvidenceStream stream, ChainHead? cached, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        if (cached is not null)
        {
            if (cached.Claim is { } claimName && await _claims.ReadAsync(stream, claimName, cancellationToken).ConfigureAwait(false) is { Valid: true } reading
                && reading.Claim!.Manifests[^1].Name == cached.Manifest && reading.Claim.Manifests[^1].Sha256 == cached.Sha256 && reading.Last == cached.Sequence)
            {
                return cached;
            }

            LogHeadRediscovered(logger, stream.Name, cached.Manifest);
        }

        return await DiscoverHeadAsync(stream, readiness, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Where a stream's chain ends, from the evidence: the newest valid claim (whose manifests are written
    /// if they are not yet), or a written manifest signed by this deployment with a higher sequence (its
    /// claim overwritten or deleted), whichever is further. Null for a stream with neither.
    /// </summary>
    private async Task<ChainHead?> DiscoverHeadAsync(EvidenceStream stream, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        ChainHead? head = null;
        if (await _claims.NewestAsync(stream, cancellationToken).ConfigureAwait(false) is { } newest)
        {
            var written = await MaterialiseAsync(stream, newest.Claim!, readiness, cancellationToken).ConfigureAwait(false);
            var last = newest.Manifests[^1];
            head = new ChainHead(last.Name, newest.Claim!.Manifests[^1].Sha256, last.Sequence, last.Window.Start, last.Window.End, newest.Name, written[^1].VersionId);
        }

        var candidates = new List<(string Name, long Sequence)>();
        await foreach (var item in store.Connection.Evidence.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = stream.Name + "/" }, cancellationToken).ConfigureAwait(false))
        {
            if (EvidencePaths.TryParse(item.Name, out var parsed) && parsed.Kind == EvidenceBlobKind.Manifest && parsed.Stream == stream
                && item.Metadata.TryGetValue(CheckpointStore.SequenceMetadata, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var sequence) && sequence > (head?.Sequence ?? -1))
            {
                candidates.Add((item.Name, sequence));
            }
        }

        // Metadata is not signed: read the highest few and take the first that this deployment signed.
        foreach (var (name, _) in candidates.OrderByDescending(c => c.Sequence).Take(16))
        {
            var data = await store.Connection.Evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            if (await ManifestProblemAsync(data.Value.Content.ToMemory(), name, stream, cancellationToken).ConfigureAwait(false) is null)
            {
                var manifest = JsonSerializer.Deserialize<EvidenceManifest>(data.Value.Content.ToMemory().Span, EvidenceJson.Options)!;
                if (manifest.Sequence > (head?.Sequence ?? -1))
                {
                    LogHeadBeyondClaims(logger, stream.Name, name, manifest.Sequence);
                    head = new ChainHead(name, SignedJson.ChainHash(data.Value.Content.ToMemory().Span), manifest.Sequence, manifest.Window.Start, manifest.Window.End, null, data.Value.Details.VersionId);
                }

                break;
            }
        }

        return head;
    }

    private sealed record Waiting(ChainRequest Request, TaskCompletionSource<ChainResult> Done, CancellationToken CallerToken);

    private sealed class StreamQueue
    {
        public Lock Gate { get; } = new();

        public List<Waiting> Waiting { get; } = [];

        public bool Draining { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream}: the checkpoint could not be updated after a commit; the next writer settles it from the chain claims")]
    private static partial void LogCheckpointStale(ILogger logger, Exception exception, string stream);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Stream}: claim {Claim} of another writer settled ({Manifests} manifest(s) checked and written where missing)")]
    private static partial void LogSettled(ILogger logger, string stream, string claim, int manifests);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream}: the checkpoint's head {Manifest} is not the last manifest of a valid claim; the head is found again from the evidence")]
    private static partial void LogHeadRediscovered(ILogger logger, string stream, string manifest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream}: {Claim} is not a valid chain claim ({Problem}); the position is claimed under the next attempt name")]
    private static partial void LogClaimSkipped(ILogger logger, string stream, string claim, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream {Stream}: {Manifest} (position {Position}) is occupied by a blob that is not the claimed manifest; it was not written over")]
    private static partial void LogNameOccupied(ILogger logger, string stream, string manifest, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream}: the written manifest {Manifest} (sequence {Sequence}) lies past every valid chain claim; the chain continues after it")]
    private static partial void LogHeadBeyondClaims(ILogger logger, string stream, string manifest, long sequence);
}
