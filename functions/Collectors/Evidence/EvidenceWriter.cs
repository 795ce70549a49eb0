using System.IO.Compression;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;

namespace Collectors.Evidence;

/// <summary>One window of one stream to be committed.</summary>
public sealed record EvidenceBatch(string Collector, IReadOnlyList<string> Criteria, EvidenceStream Stream, TimeWindow Window);

/// <summary>Produces a window's raw records (UTF-8 JSON, one value each) and records what it asked the source in the log.
/// A record's memory need only stay valid until the next one is requested.</summary>
public delegate IAsyncEnumerable<ReadOnlyMemory<byte>> RecordSource(SourceLog log, CancellationToken cancellationToken);

public enum CommitStatus
{
    /// <summary>This call wrote the window's manifest.</summary>
    Committed,

    /// <summary>The window was already committed (by an earlier run or a racing writer); nothing changed.</summary>
    AlreadyCommitted,

    /// <summary>The attempt failed and left an error record; the window stays open.</summary>
    Failed,
}

public sealed record CommitResult(CommitStatus Status, EvidenceStream Stream, TimeWindow Window, string? Manifest, long Records, string? ErrorRecord, string? Reason);

/// <summary>
/// Writes one window of evidence: records → NDJSON → gzip → SHA-256 → blocks → conditional create
/// (If-None-Match *) with legal hold → manifest (the commit, write-once, hash-chained) → checkpoint.
/// Streams end to end: memory does not grow with the number of records.
/// </summary>
public sealed partial class EvidenceWriter(EvidenceStore store, CheckpointStore checkpoints, EvidenceSealer sealer, TimeProvider time, ILogger<EvidenceWriter> logger)
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    private readonly ChainAppender _appender = new(store, checkpoints, sealer, time, logger);

    /// <summary>The build that wrote a manifest: version+commit.</summary>
    public static string CollectorVersion { get; } =
        typeof(EvidenceWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public CheckpointStore Checkpoints => checkpoints;

    /// <summary>How many manifests of one stream may be committed together (the benchmark turns batching off with 1).</summary>
    internal int MaxBatch { get => _appender.MaxBatch; set => _appender.MaxBatch = Math.Max(1, value); }

    /// <summary>Signs what this writer stores, and checks what it finds against its own key.</summary>
    public EvidenceSealer Sealer => sealer;

    /// <summary>The stream's checkpoint (rebuilt from the manifests if missing), once the store is known to be usable.</summary>
    public async Task<Checkpoint> ReadCheckpointAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        return await checkpoints.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves a stream's timer cursor to <paramref name="start"/> when it is behind it, e.g. when the windows
    /// before it can no longer be collected (beyond the source's retention): they stay a visible gap.
    /// </summary>
    public async Task MoveCursorAsync(EvidenceStream stream, DateTimeOffset start, CancellationToken cancellationToken)
    {
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        await using var streamLock = await checkpoints.LockAsync(stream, cancellationToken).ConfigureAwait(false);
        var checkpoint = await streamLock.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (checkpoint.NextWindowStart is null || checkpoint.NextWindowStart < start)
        {
            await streamLock.WriteAsync(checkpoint with { NextWindowStart = start, UpdatedAt = time.GetUtcNow() }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A window found already committed moves the cursor past it if the cursor was waiting on it.</summary>
    private async Task PassCursorAsync(EvidenceStream stream, TimeWindow window, CancellationToken cancellationToken)
    {
        var checkpoint = await checkpoints.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        if (checkpoint.NextWindowStart is not { } cursor || cursor < window.Start || cursor >= window.End)
        {
            return;
        }

        await using var streamLock = await checkpoints.LockAsync(stream, cancellationToken).ConfigureAwait(false);
        checkpoint = await streamLock.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (checkpoint.NextWindowStart is { } again && again >= window.Start && again < window.End)
        {
            await streamLock.WriteAsync(checkpoint with { NextWindowStart = window.End, UpdatedAt = time.GetUtcNow() }, cancellationToken).ConfigureAwait(false);
        }
    }


    public Task<CommitResult> CommitWindowAsync(EvidenceBatch batch, RecordSource source, CancellationToken cancellationToken) =>
        CommitAsync(batch, EvidencePaths.Manifest(batch.Stream, batch.Window), "window", supplements: null, source, cancellationToken);

    /// <summary>Commits a window whose manifest also covers other documents (stored write-once, hashed in the manifest).</summary>
    public Task<CommitResult> CommitWindowAsync(EvidenceBatch batch, RecordSource source, IReadOnlyList<EvidenceAttachment> attachments, CancellationToken cancellationToken) =>
        CommitAsync(batch, EvidencePaths.Manifest(batch.Stream, batch.Window), "window", supplements: null, source, cancellationToken, attachments);

    /// <summary>
    /// Commits late records of an already committed window as supplement number <paramref name="number"/>
    /// (from 1), linked to the original manifest, which is never touched.
    /// </summary>
    public Task<CommitResult> CommitSupplementAsync(EvidenceBatch batch, ManifestLink original, int number, RecordSource source, CancellationToken cancellationToken) =>
        CommitAsync(batch, EvidencePaths.SupplementManifest(batch.Stream, batch.Window, number), "supplement", original, source, cancellationToken);

    private async Task<CommitResult> CommitAsync(EvidenceBatch batch, string manifestName, string kind, ManifestLink? supplements, RecordSource source, CancellationToken cancellationToken, IReadOnlyList<EvidenceAttachment>? attachments = null)
    {
        var prepared = await PrepareAsync(batch, manifestName, kind, supplements, source, cancellationToken, attachments).ConfigureAwait(false);
        return prepared.Result ?? await FinishAsync(prepared, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits consecutive windows of one stream, in order, overlapping the source with the chain: window k+1 is
    /// read and its content written while the manifests before it are appended, and manifests that wait together
    /// are appended under one lock and one chain claim (group commit). The source is still read one window at a
    /// time (one request in flight per stream, as before); at most <paramref name="depth"/> appends are outstanding.
    /// With <paramref name="stopAtFailure"/> (the timer's runs) no window after a failed one is read, so the cursor
    /// holds at the failure; a window whose content was already written when an earlier append failed is still
    /// appended (the cursor does not pass the failed window either way).
    /// </summary>
    public async Task<IReadOnlyList<CommitResult>> CommitWindowsAsync(IReadOnlyList<EvidenceBatch> batches, Func<EvidenceBatch, RecordSource> sources, bool stopAtFailure, int depth, IProgress<CommitResult>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        var results = new CommitResult?[batches.Count];
        var pending = new Queue<(int Index, Task<CommitResult> Append)>();
        var failed = false;

        async Task CollectAsync()
        {
            var (index, append) = pending.Dequeue();
            var result = results[index] = await append.ConfigureAwait(false);
            progress?.Report(result);
            failed |= result.Status == CommitStatus.Failed;
        }

        try
        {
            for (var i = 0; i < batches.Count; i++)
            {
                while (pending.Count > 0 && (pending.Count >= depth || pending.Peek().Append.IsCompleted))
                {
                    await CollectAsync().ConfigureAwait(false);
                }

                if (failed && stopAtFailure)
                {
                    break;
                }

                var batch = batches[i];
                var prepared = await PrepareAsync(batch, EvidencePaths.Manifest(batch.Stream, batch.Window), "window", null, sources(batch), cancellationToken).ConfigureAwait(false);
                if (prepared.Result is { } done)
                {
                    results[i] = done;
                    progress?.Report(done);
                    failed |= done.Status == CommitStatus.Failed;
                    continue;
                }

                // Queued on the stream's appender before this returns: appends keep the windows' order.
                pending.Enqueue((i, FinishAsync(prepared, cancellationToken)));
            }

            while (pending.Count > 0)
            {
                await CollectAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // Whatever stopped the loop, no append is left running unobserved.
            while (pending.Count > 0)
            {
                try
                {
                    await pending.Dequeue().Append.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        return [.. results.Where(r => r is not null).Select(r => r!)];
    }

    /// <summary>A window read and its content stored, its manifest not yet appended; or, in <see cref="Result"/>, already settled.</summary>
    private sealed record Prepared(EvidenceBatch Batch, CommitResult? Result, EvidenceManifest? Draft, string RunId, SourceLog Log, string ContentName, long Records);

    private async Task<Prepared> PrepareAsync(EvidenceBatch batch, string manifestName, string kind, ManifestLink? supplements, RecordSource source, CancellationToken cancellationToken, IReadOnlyList<EvidenceAttachment>? attachments = null)
    {
        var readiness = await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var stream = batch.Stream;
        var window = batch.Window;
        if (await _appender.ExistingAsync(stream, manifestName, window, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            if (existing.Problem is { } problem)
            {
                // A manifest this deployment did not sign (or that was altered) is never taken for a commit.
                var forgedRun = NewRunId(time.GetUtcNow());
                var integrity = new EvidenceIntegrityException(problem);
                LogWindowFailed(logger, integrity, stream.Name, window.Start, window.End, problem);
                var record = await WriteErrorRecordAsync(batch, forgedRun, integrity, problem, new SourceLog(), 0, null, cancellationToken).ConfigureAwait(false);
                return Settled(batch, new CommitResult(CommitStatus.Failed, stream, window, null, 0, record, problem));
            }

            LogAlreadyCommitted(logger, stream.Name, window.Start, window.End);
            if (kind == "window")
            {
                await PassCursorAsync(stream, window, cancellationToken).ConfigureAwait(false);
            }

            return Settled(batch, new CommitResult(CommitStatus.AlreadyCommitted, stream, window, manifestName, 0, null, "already committed"));
        }

        var runId = NewRunId(time.GetUtcNow());
        var collectedStart = time.GetUtcNow();
        var log = new SourceLog();
        var contentName = EvidencePaths.Content(stream, window, runId);
        var records = new StrongBox<long>();
        var contentCommitted = false;
        try
        {
            var content = await WriteContentAsync(contentName, source, log, readiness, records, cancellationToken).ConfigureAwait(false);
            contentCommitted = true;
            var stored = new List<ManifestAttachment>();
            foreach (var attachment in attachments ?? [])
            {
                var name = $"{EvidencePaths.Folder(stream, window)}/{EvidencePaths.Stem(window)}.{runId}.{attachment.Suffix}";
                await store.Connection.Evidence.GetBlobClient(name).UploadAsync(attachment.Data, store.CreateOnce(readiness, attachment.ContentType), cancellationToken).ConfigureAwait(false);
                var bytes = attachment.Data.ToMemory();
                stored.Add(new ManifestAttachment(name, attachment.ContentType, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes.Span))));
            }

            var manifest = Draft(batch, manifestName, kind, log, content, collectedStart, readiness, runId) with
            {
                Supplements = supplements,
                Attachments = stored.Count == 0 ? null : stored,
            };

            return new Prepared(batch, null, manifest, runId, log, contentName, records.Value);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not EvidenceStoreConfigurationException)
        {
            var reason = Describe(ex, log, window);
            LogWindowFailed(logger, ex, stream.Name, window.Start, window.End, reason);
            var errorName = await WriteErrorRecordAsync(batch, runId, ex, reason, log, records.Value, contentCommitted ? contentName : null, cancellationToken).ConfigureAwait(false);
            return Settled(batch, new CommitResult(CommitStatus.Failed, stream, window, null, records.Value, errorName, reason));
        }
    }

    private static Prepared Settled(EvidenceBatch batch, CommitResult result) => new(batch, result, null, string.Empty, new SourceLog(), string.Empty, result.Records);

    /// <summary>Appends a prepared window's manifest; a failure leaves an error record naming the content blob it orphans.</summary>
    private async Task<CommitResult> FinishAsync(Prepared prepared, CancellationToken cancellationToken)
    {
        var batch = prepared.Batch;
        try
        {
            return await CommitManifestAsync(batch, prepared.Draft!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not EvidenceStoreConfigurationException)
        {
            var reason = Describe(ex, prepared.Log, batch.Window);
            LogWindowFailed(logger, ex, batch.Stream.Name, batch.Window.Start, batch.Window.End, reason);
            var errorName = await WriteErrorRecordAsync(batch, prepared.RunId, ex, reason, prepared.Log, prepared.Records, prepared.ContentName, cancellationToken).ConfigureAwait(false);
            return new CommitResult(CommitStatus.Failed, batch.Stream, batch.Window, null, prepared.Records, errorName, reason);
        }
    }

    /// <summary>
    /// Commits pushed events (one, or a few delivered together) as their own manifest of kind <c>event</c>,
    /// named by <paramref name="eventKey"/> inside the window that orders them:
    /// <c>&lt;stream&gt;/…/&lt;start&gt;_&lt;end&gt;.event-&lt;key&gt;.manifest.json</c>, created with If-None-Match,
    /// so a redelivered event commits nothing new. Event manifests join the stream's hash chain; they are
    /// not grid windows, so verify does not look for gaps between them. Failures throw (nothing is
    /// recorded): the caller's delivery retries them.
    /// </summary>
    public async Task<CommitResult> CommitEventAsync(EvidenceBatch batch, string eventKey, RecordSource source, CancellationToken cancellationToken)
    {
        var readiness = await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var stream = batch.Stream;
        var window = batch.Window;
        var manifestName = EvidencePaths.EventManifest(stream, window, eventKey);
        if (await _appender.ExistingAsync(stream, manifestName, window, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            if (existing.Problem is { } problem)
            {
                throw new EvidenceIntegrityException(problem);
            }

            LogAlreadyCommitted(logger, stream.Name, window.Start, window.End);
            return new CommitResult(CommitStatus.AlreadyCommitted, stream, window, manifestName, 0, null, "already committed");
        }

        var runId = NewRunId(time.GetUtcNow());
        var collectedStart = time.GetUtcNow();
        var log = new SourceLog();
        var content = await WriteContentAsync(EvidencePaths.Content(stream, window, runId), source, log, readiness, new StrongBox<long>(), cancellationToken).ConfigureAwait(false);
        var manifest = Draft(batch, manifestName, "event", log, content, collectedStart, readiness, runId);
        return await CommitManifestAsync(batch, manifest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a rejected message (write-once, If-None-Match): the raw message and why it was refused.
    /// The same message rejected again on the same day finds its record already there.
    /// </summary>
    public async Task<string> WriteRejectionAsync(RejectionRecord record, CancellationToken cancellationToken)
    {
        var readiness = await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var name = EvidencePaths.Rejection(record.Source, record.ReceivedAt, record.Message.Sha256);
        var bytes = await sealer.SealAsync(record, cancellationToken).ConfigureAwait(false);
        try
        {
            await store.Connection.Evidence.GetBlobClient(name).UploadAsync(new BinaryData(bytes), store.CreateOnce(readiness, "application/json"), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Delivered and rejected before: the first record stands.
        }

        return name;
    }

    /// <summary>
    /// Records a failed attempt at a window that never reached the source (e.g. a work item that kept failing
    /// and went to the poison queue): a write-once error record with the reason; the window stays open.
    /// </summary>
    public async Task<string> RecordFailureAsync(EvidenceBatch batch, string reason, CancellationToken cancellationToken)
    {
        // Checks the store (and creates the containers on the emulator): a poison message may be the first thing written.
        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var runId = NewRunId(time.GetUtcNow());
        var failure = new EvidenceSourceException(reason);
        LogWindowFailed(logger, failure, batch.Stream.Name, batch.Window.Start, batch.Window.End, reason);
        return await WriteErrorRecordAsync(batch, runId, failure, reason, new SourceLog(), 0, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A manifest before the chain fields (sequence, previous) are set under the stream's lock.</summary>
    private EvidenceManifest Draft(EvidenceBatch batch, string name, string kind, SourceLog log, WrittenContent content, DateTimeOffset collectedStart, StoreReadiness readiness, string runId) => new()
    {
        Kind = kind,
        Name = name,
        Collector = batch.Collector,
        Criteria = batch.Criteria,
        Stream = batch.Stream.Name,
        Scope = batch.Stream.Scope,
        Sequence = -1,
        Window = new ManifestWindow(batch.Window.Start, batch.Window.End),
        Source = log.ToManifest(),
        Content = content.Content,
        Previous = null,
        CollectedAt = new ManifestInterval(collectedStart, time.GetUtcNow()),
        CollectorVersion = CollectorVersion,
        Identity = readiness.Identity,
        Immutability = content.Immutability,
        RunId = runId,
    };

    private sealed record WrittenContent(ManifestContent Content, ManifestImmutability Immutability);

    private async Task<WrittenContent> WriteContentAsync(string contentName, RecordSource source, SourceLog log, StoreReadiness readiness, StrongBox<long> recordsRead, CancellationToken cancellationToken)
    {
        var blob = store.Connection.Evidence.GetBlockBlobClient(contentName);
        var blockSize = Math.Clamp(store.Options.BlockSizeMiB, 1, 100) * 1024 * 1024;
        using var uncompressedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long uncompressedBytes = 0;
        long records = 0;
        await using var staging = new BlockStagingStream(blob, blockSize);
        await using (var gzip = new GZipStream(staging, CompressionLevel.Optimal, leaveOpen: true))
        await using (var buffered = new BufferedStream(gzip, 128 * 1024))
        {
            byte[]? scratch = null;
            await foreach (var record in source(log, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var line = RecordLine.Normalize(record, ref scratch, records);
                uncompressedHash.AppendData(line.Span);
                uncompressedHash.AppendData(Newline);
                uncompressedBytes += line.Length + 1;
                await buffered.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                await buffered.WriteAsync(Newline, cancellationToken).ConfigureAwait(false);
                records++;
                recordsRead.Value = records;
            }
        }

        if (!log.Complete)
        {
            throw new EvidenceSourceException(
                $"The source did not confirm that the population is complete after {log.Pages} page(s) and {records} record(s); nothing was committed. The next run retries this window.");
        }

        var (sha256, bytes) = await staging.FinishAsync(cancellationToken).ConfigureAwait(false);
        var options = new CommitBlockListOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/gzip" },
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            Metadata = new Dictionary<string, string> { ["records"] = records.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        ApplyImmutability(readiness, options);
        var committed = await blob.CommitBlockListAsync(staging.BlockIds, options, cancellationToken).ConfigureAwait(false);
        var versionId = committed.Value.VersionId;
        var immutability = await ReadImmutabilityAsync(blob, versionId, readiness, cancellationToken).ConfigureAwait(false);
        return new WrittenContent(
            new ManifestContent(contentName, versionId, records, bytes, sha256, uncompressedBytes, Convert.ToHexStringLower(uncompressedHash.GetCurrentHash()), "ndjson+gzip"),
            immutability);
    }

    private void ApplyImmutability(StoreReadiness readiness, CommitBlockListOptions options)
    {
        if (!readiness.ImmutabilityEnforced)
        {
            return;
        }

        options.LegalHold = store.Options.LegalHold ? true : null;
        if (store.Options.ImmutabilityDays > 0)
        {
            options.ImmutabilityPolicy = new BlobImmutabilityPolicy
            {
                ExpiresOn = time.GetUtcNow().AddDays(store.Options.ImmutabilityDays),
                PolicyMode = BlobImmutabilityPolicyMode.Unlocked,
            };
        }
    }

    /// <summary>Reads back what the service actually applied to the version, rather than what was asked for.</summary>
    private static async Task<ManifestImmutability> ReadImmutabilityAsync(BlobBaseClient blob, string? versionId, StoreReadiness readiness, CancellationToken cancellationToken)
    {
        if (!readiness.ImmutabilityEnforced)
        {
            return new ManifestImmutability(false, false, null, null, readiness.ImmutabilityNote);
        }

        var target = versionId is null ? blob : blob.WithVersion(versionId);
        var properties = (await target.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        var policy = properties.ImmutabilityPolicy;
        var protectedNow = properties.HasLegalHold || policy?.ExpiresOn is not null;
        return new ManifestImmutability(
            protectedNow,
            properties.HasLegalHold,
            policy?.ExpiresOn,
            policy?.PolicyMode?.ToString(),
            protectedNow ? "version-level WORM container" : "version-level WORM container, but neither a legal hold nor a retention policy was found on this version");
    }

    /// <summary>Appends the manifest to its stream's chain (see <see cref="ChainAppender"/>): the commit.</summary>
    private async Task<CommitResult> CommitManifestAsync(EvidenceBatch batch, EvidenceManifest draft, CancellationToken cancellationToken)
    {
        var stream = batch.Stream;
        var window = batch.Window;
        var result = await _appender.AppendAsync(new ChainRequest(stream, draft), cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case CommitStatus.Committed:
                var manifest = result.Manifest!;
                LogCommitted(logger, stream.Name, window.Start, window.End, manifest.Content.Records, manifest.Sequence, manifest.Immutability.Enforced);
                return new CommitResult(CommitStatus.Committed, stream, window, draft.Name, manifest.Content.Records, null, null);
            case CommitStatus.AlreadyCommitted:
                LogLostRace(logger, stream.Name, window.Start, window.End, draft.Content.Blob);
                if (draft.Kind == "window")
                {
                    await PassCursorAsync(stream, window, cancellationToken).ConfigureAwait(false);
                }

                return new CommitResult(CommitStatus.AlreadyCommitted, stream, window, draft.Name, 0, null, "already committed by another writer");
            default:
                throw new EvidenceIntegrityException(result.Reason ?? "the manifest could not be appended to the chain");
        }
    }

    private async Task<string> WriteErrorRecordAsync(EvidenceBatch batch, string runId, Exception ex, string reason, SourceLog log, long records, string? orphan, CancellationToken cancellationToken)
    {
        var evidence = store.Connection.Evidence;
        var stem = $"{EvidencePaths.Folder(batch.Stream, batch.Window)}/{EvidencePaths.Stem(batch.Window)}.";
        var attempt = 1;
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = stem }, cancellationToken).ConfigureAwait(false))
        {
            if (item.Name.EndsWith(EvidencePaths.ErrorSuffix, StringComparison.Ordinal))
            {
                attempt++;
            }
        }

        var record = new ErrorRecord
        {
            Collector = batch.Collector,
            Stream = batch.Stream.Name,
            Window = new ManifestWindow(batch.Window.Start, batch.Window.End),
            RunId = runId,
            Attempt = attempt,
            AttemptedAt = time.GetUtcNow(),
            Reason = reason,
            ErrorType = ex.GetType().FullName ?? ex.GetType().Name,
            HttpStatus = ex switch { EvidenceSourceException s => s.HttpStatus, RequestFailedException r => r.Status, HttpRequestException h => (int?)h.StatusCode, _ => null },
            ErrorCode = ex switch { EvidenceSourceException s => s.ErrorCode, RequestFailedException r => r.ErrorCode, _ => null },
            Requests = [.. log.Requests],
            PagesRead = log.Pages,
            RecordsRead = records,
            OrphanContent = orphan,
            CollectorVersion = CollectorVersion,
        };
        var name = EvidencePaths.Error(batch.Stream, batch.Window, runId);
        var readiness = await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        await evidence.GetBlobClient(name).UploadAsync(
            new BinaryData(await sealer.SealAsync(record, cancellationToken).ConfigureAwait(false)),
            store.CreateOnce(readiness, "application/json"),
            cancellationToken).ConfigureAwait(false);
        return name;
    }

    private static string Describe(Exception ex, SourceLog log, TimeWindow window) => ex switch
    {
        EvidenceSourceException source => source.Message,
        InvalidDataException data => $"The source returned a record the store cannot keep: {data.Message}. Nothing was committed for window {window}.",
        EvidenceIntegrityException integrity => integrity.Message,
        ChainClaimedException claimed => $"{claimed.Message}. The claim holds the signed manifest and its content is stored: the next write to this stream writes it (window {window}); nothing has to be collected again.",
        RequestFailedException storage => $"Storage request failed with {storage.Status} ({storage.ErrorCode}): {FirstLine(storage.Message)}. Nothing was committed for window {window}; the next run retries it.",
        _ => $"{ex.GetType().Name}: {FirstLine(ex.Message)} (after {log.Pages} page(s)). Nothing was committed for window {window}; the next run retries it.",
    };

    private static string FirstLine(string text)
    {
        var newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline];
    }

    /// <summary>Sortable and unique: the attempt's start time plus 32 random bits.</summary>
    internal static string NewRunId(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Stream} window {WindowStart:o}–{WindowEnd:o} committed: {Records} records, sequence {Sequence}, immutability enforced {Enforced}")]
    private static partial void LogCommitted(ILogger logger, string stream, DateTimeOffset windowStart, DateTimeOffset windowEnd, long records, long sequence, bool enforced);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream {Stream} window {WindowStart:o}–{WindowEnd:o} is already committed")]
    private static partial void LogAlreadyCommitted(ILogger logger, string stream, DateTimeOffset windowStart, DateTimeOffset windowEnd);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Stream} window {WindowStart:o}–{WindowEnd:o} was committed by another writer first; content {Content} stays as an orphan")]
    private static partial void LogLostRace(ILogger logger, string stream, DateTimeOffset windowStart, DateTimeOffset windowEnd, string content);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream {Stream} window {WindowStart:o}–{WindowEnd:o} failed: {Reason}")]
    private static partial void LogWindowFailed(ILogger logger, Exception exception, string stream, DateTimeOffset windowStart, DateTimeOffset windowEnd, string reason);

}
