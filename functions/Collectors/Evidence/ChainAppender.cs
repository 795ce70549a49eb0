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
        var ct = limit.Token;
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

            // 3. Claim the positions. Whoever holds them already is settled first, then the batch goes after it.
            var claimName = EvidencePaths.Claim(stream, first);
            var claimBytes = JsonSerializer.SerializeToUtf8Bytes(claim, EvidenceJson.Compact);
            var won = await TryClaimAsync(claimName, claimBytes, readiness, ct).ConfigureAwait(false);
            if (won is null)
            {
                var theirs = await SettleAsync(stream, claimName, head, readiness, ct).ConfigureAwait(false);
                head = theirs.Head;
                cursor = Advance(cursor, theirs.Windows);
                continue;
            }

            var versions = await MaterialiseAsync(claim, readiness, ct).ConfigureAwait(false);
            for (var k = 0; k < todo.Count; k++)
            {
                results[todo[k]] = new ChainResult(CommitStatus.Committed, manifests[k], null);
            }

            var last = manifests[^1];
            head = new ChainHead(last.Name, claim.Manifests[^1].Sha256, last.Sequence, last.Window.Start, last.Window.End, claimName, versions[^1]);
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

    /// <summary>Writes the claim; returns its bytes when this call holds the positions, null when another claim does.</summary>
    private async Task<byte[]?> TryClaimAsync(string claimName, byte[] claimBytes, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        var blob = store.Connection.Evidence.GetBlobClient(claimName);
        try
        {
            await blob.UploadAsync(new BinaryData(claimBytes), store.CreateOnce(readiness, "application/json"), cancellationToken).ConfigureAwait(false);
            return claimBytes;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // The SDK retries a PUT whose answer was lost; the retry then meets our own claim.
            var stored = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
            return stored.Span.SequenceEqual(claimBytes) ? claimBytes : null;
        }
    }

    private sealed record Settled(ChainHead Head, IReadOnlyList<EvidenceManifest> Windows);

    /// <summary>Checks another writer's claim at the position this writer wanted, writes any of its manifests not yet written, and returns the new head.</summary>
    private async Task<Settled> SettleAsync(EvidenceStream stream, string claimName, ChainHead? head, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        var claim = await ReadClaimAsync(stream, claimName, cancellationToken).ConfigureAwait(false);
        var manifests = await CheckClaimAsync(stream, claimName, claim, head is null ? null : new ManifestLink(head.Manifest, head.Sha256), cancellationToken).ConfigureAwait(false);
        var versions = await MaterialiseAsync(claim, readiness, cancellationToken).ConfigureAwait(false);
        LogSettled(logger, stream.Name, claimName, claim.Manifests.Count);
        var last = manifests[^1];
        return new Settled(new ChainHead(last.Name, claim.Manifests[^1].Sha256, last.Sequence, last.Window.Start, last.Window.End, claimName, versions[^1]), manifests);
    }

    private async Task<ChainClaim> ReadClaimAsync(EvidenceStream stream, string claimName, CancellationToken cancellationToken)
    {
        var data = (await store.Connection.Evidence.GetBlobClient(claimName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        try
        {
            return data.ToObjectFromJson<ChainClaim>(EvidenceJson.Options) is { Manifests.Count: > 0 } claim
                ? claim
                : throw Broken(stream, claimName, "it holds no manifest");
        }
        catch (JsonException ex)
        {
            throw Broken(stream, claimName, $"it is not a claim ({ex.Message})");
        }
    }

    /// <summary>Every manifest of a claim must be signed by this deployment, sit at its position, and link to the one before it.</summary>
    private async Task<IReadOnlyList<EvidenceManifest>> CheckClaimAsync(EvidenceStream stream, string claimName, ChainClaim claim, ManifestLink? previous, CancellationToken cancellationToken)
    {
        EvidencePaths.TryParseClaim(claimName, out _, out var first);
        if (claim.Stream != stream.Name || claim.First != first)
        {
            throw Broken(stream, claimName, $"it claims position {claim.First} of stream {claim.Stream}");
        }

        var manifests = new List<EvidenceManifest>();
        for (var k = 0; k < claim.Manifests.Count; k++)
        {
            var entry = claim.Manifests[k];
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(entry.Bytes);
            }
            catch (FormatException)
            {
                throw Broken(stream, claimName, $"manifest {k} is not Base64");
            }

            if (await ManifestProblemAsync(bytes, entry.Name, stream, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                throw Broken(stream, claimName, $"its manifest {entry.Name}: {problem}");
            }

            var manifest = JsonSerializer.Deserialize<EvidenceManifest>(bytes, EvidenceJson.Options)!;
            if (manifest.Sequence != claim.First + k || SignedJson.ChainHash(bytes) != entry.Sha256)
            {
                throw Broken(stream, claimName, $"its manifest {entry.Name} holds sequence {manifest.Sequence} with hash {SignedJson.ChainHash(bytes)}, not position {claim.First + k} with {entry.Sha256}");
            }

            // The first link is checked only when the writer knows the head; later links always.
            if ((k > 0 || previous is not null) && (manifest.Previous?.Manifest != previous?.Manifest || manifest.Previous?.Sha256 != previous?.Sha256))
            {
                throw Broken(stream, claimName, $"its manifest {entry.Name} links to {manifest.Previous?.Manifest ?? "nothing"}, not to {previous?.Manifest ?? "nothing"}");
            }

            previous = new ManifestLink(entry.Name, entry.Sha256);
            manifests.Add(manifest);
        }

        return manifests;
    }

    private static EvidenceIntegrityException Broken(EvidenceStream stream, string claimName, string why) =>
        new($"Chain claim {claimName} fails its checks: {why}. Nothing more is appended to stream {stream.Name} until this is investigated: run 'collectors verify --stream {stream.Name}'.");

    /// <summary>Writes every manifest of a claim that is not there yet; an existing one must be byte-identical. Returns their version ids.</summary>
    private async Task<string?[]> MaterialiseAsync(ChainClaim claim, StoreReadiness readiness, CancellationToken cancellationToken) =>
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
                return (await blob.UploadAsync(new BinaryData(bytes), store.CreateOnce(readiness, "application/json", metadata), cancellationToken).ConfigureAwait(false)).Value.VersionId;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                var stored = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                if (!stored.Value.Content.ToMemory().Span.SequenceEqual(bytes))
                {
                    throw new EvidenceIntegrityException(
                        $"{entry.Name} exists with other bytes than chain position {claim.First + k} claims for it: it was written outside the chain. Run 'collectors verify --stream {claim.Stream}'.");
                }

                return stored.Value.Details.VersionId;
            }
        })).ConfigureAwait(false);

    /// <summary>
    /// The checkpoint's head if its claim still holds it; otherwise the head is found again from the
    /// claims themselves (the newest), whose manifests are written if they are not yet.
    /// </summary>
    private async Task<ChainHead?> VerifiedHeadAsync(EvidenceStream stream, ChainHead? cached, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        if (cached is not null)
        {
            try
            {
                var claim = await ReadClaimAsync(stream, cached.Claim, cancellationToken).ConfigureAwait(false);
                if (claim.Manifests.Any(m => m.Name == cached.Manifest && m.Sha256 == cached.Sha256) && claim.First <= cached.Sequence && cached.Sequence <= claim.Last)
                {
                    return cached;
                }
            }
            catch (Exception ex) when (ex is RequestFailedException { Status: 404 } or EvidenceIntegrityException)
            {
                // Fall through: the cache is wrong; the claims are not.
            }

            LogHeadRediscovered(logger, stream.Name, cached.Manifest);
        }

        string? newest = null;
        await foreach (var item in store.Connection.Evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = EvidencePaths.ChainPrefix(stream) }, cancellationToken).ConfigureAwait(false))
        {
            if (EvidencePaths.TryParseClaim(item.Name, out _, out _))
            {
                newest = item.Name;
            }
        }

        if (newest is null)
        {
            return null;
        }

        var found = await ReadClaimAsync(stream, newest, cancellationToken).ConfigureAwait(false);
        var manifests = await CheckClaimAsync(stream, newest, found, previous: null, cancellationToken).ConfigureAwait(false);
        var versions = await MaterialiseAsync(found, readiness, cancellationToken).ConfigureAwait(false);
        var last = manifests[^1];
        return new ChainHead(last.Name, found.Manifests[^1].Sha256, last.Sequence, last.Window.Start, last.Window.End, newest, versions[^1]);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream}: the checkpoint's head {Manifest} is not held by its claim; the head is found again from the chain claims")]
    private static partial void LogHeadRediscovered(ILogger logger, string stream, string manifest);
}
