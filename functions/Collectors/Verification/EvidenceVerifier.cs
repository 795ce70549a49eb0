using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Evidence;

namespace Collectors.Verification;

public sealed record VerifyRequest(string? Stream = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Parallelism = 8);

/// <summary>
/// Proves an evidence container is intact without trusting anything the writer cached: re-downloads
/// every manifest and content blob in scope, recomputes both hashes and the record count, walks each
/// stream's hash chain, and checks its windows abut. Needs only read and list (a container SAS will do).
/// </summary>
public sealed class EvidenceVerifier(BlobContainerClient evidence, string storeDescription, TimeProvider time)
{
    public async Task<VerificationReport> VerifyAsync(VerifyRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var streamFilter = request.Stream is { Length: > 0 } s ? EvidenceStream.Parse(s) : null;
        var problems = new ConcurrentBag<IntegrityProblem>();

        // 1. One listing of the container (or of one stream) classifies every blob by name.
        var manifestsByStream = new Dictionary<EvidenceStream, List<string>>();
        var contents = new List<(string Name, EvidenceStream Stream)>();
        var errors = new List<(string Name, ParsedEvidenceName Parsed)>();
        var rejections = new List<string>();
        var prefix = streamFilter is null ? null : streamFilter.Name + "/";
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (!EvidencePaths.TryParse(item.Name, out var parsed))
            {
                // Rejected messages are kept beside the streams, outside every chain: listed, never counted.
                if (item.Name.StartsWith(EvidencePaths.RejectionsPrefix, StringComparison.Ordinal) && item.Name.EndsWith(EvidencePaths.RejectionSuffix, StringComparison.Ordinal))
                {
                    rejections.Add(item.Name);
                }

                continue;
            }

            var inRange = InRange(parsed.Window, request);
            switch (parsed.Kind)
            {
                case EvidenceBlobKind.Manifest:
                    if (!manifestsByStream.TryGetValue(parsed.Stream, out var list))
                    {
                        manifestsByStream[parsed.Stream] = list = [];
                    }

                    if (inRange)
                    {
                        list.Add(item.Name);
                    }

                    break;
                case EvidenceBlobKind.Content when inRange:
                    contents.Add((item.Name, parsed.Stream));
                    break;
                case EvidenceBlobKind.Error when inRange:
                    errors.Add((item.Name, parsed));
                    break;
            }
        }

        // 2. Every manifest in scope: parse, check its content end to end.
        var loaded = new ConcurrentDictionary<string, LoadedManifest>(StringComparer.Ordinal);
        long records = 0, bytes = 0, checkedCount = 0;
        var all = manifestsByStream.SelectMany(p => p.Value.Select(name => (Stream: p.Key, Name: name))).ToList();
        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Parallelism), CancellationToken = cancellationToken }, async (item, ct) =>
        {
            var manifest = await LoadManifestAsync(item.Name, item.Stream, problems, ct).ConfigureAwait(false);
            if (manifest is null)
            {
                return;
            }

            loaded[item.Name] = manifest;
            var measured = await CheckContentAsync(item.Stream, item.Name, manifest.Manifest.Content, problems, ct).ConfigureAwait(false);
            foreach (var attachment in manifest.Manifest.Attachments ?? [])
            {
                await CheckAttachmentAsync(item.Stream, item.Name, attachment, problems, ct).ConfigureAwait(false);
            }

            Interlocked.Add(ref records, measured.Records);
            Interlocked.Add(ref bytes, measured.Bytes);
            progress?.Report(Interlocked.Increment(ref checkedCount));
        }).ConfigureAwait(false);

        // 3. Chains and windows, stream by stream.
        var summaries = new List<StreamSummary>();
        foreach (var (stream, names) in manifestsByStream.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
        {
            var manifests = names.Where(loaded.ContainsKey).Select(n => loaded[n]).OrderBy(m => m.Manifest.Sequence).ToList();
            await CheckChainAsync(stream, manifests, unfiltered: request.From is null && request.To is null, problems, cancellationToken).ConfigureAwait(false);
            CheckWindows(stream, manifests, problems);
            if (manifests.Count > 0)
            {
                var windows = manifests.Where(m => m.Manifest.Kind == "window").ToList();
                summaries.Add(new StreamSummary(
                    stream.Name,
                    manifests.Count,
                    manifests.Sum(m => m.Manifest.Content.Records),
                    windows.Count > 0 ? windows.Min(m => m.Manifest.Window.Start) : null,
                    windows.Count > 0 ? windows.Max(m => m.Manifest.Window.End) : null,
                    manifests[0].Manifest.Sequence,
                    manifests[^1].Manifest.Sequence,
                    manifests.All(m => m.Manifest.Immutability.Enforced)));
            }
        }

        // 4. Orphans and error records: reported, never failures.
        var referenced = loaded.Values.Select(m => m.Manifest.Content.Blob).ToHashSet(StringComparer.Ordinal);
        var orphans = contents.Where(c => !referenced.Contains(c.Name)).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        var committedWindows = loaded.Values.Where(m => m.Manifest.Kind == "window")
            .Select(m => (m.Manifest.Stream, m.Manifest.Window.Start, m.Manifest.Window.End)).ToHashSet();
        var errorSummaries = new List<ErrorRecordSummary>();
        foreach (var (name, parsed) in errors.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var reason = await ReadErrorReasonAsync(name, cancellationToken).ConfigureAwait(false);
            errorSummaries.Add(new ErrorRecordSummary(name, parsed.Stream.Name, parsed.Window, reason,
                committedWindows.Contains((parsed.Stream.Name, parsed.Window.Start, parsed.Window.End))));
        }

        return new VerificationReport
        {
            Store = storeDescription,
            StreamFilter = streamFilter?.Name,
            From = request.From,
            To = request.To,
            StartedAt = started,
            FinishedAt = time.GetUtcNow(),
            Streams = summaries,
            Problems = [.. problems.OrderBy(p => p.Stream, StringComparer.Ordinal).ThenBy(p => p.Blob, StringComparer.Ordinal).ThenBy(p => p.Kind, StringComparer.Ordinal)],
            Orphans = orphans,
            ErrorRecords = errorSummaries,
            Rejections = [.. rejections.Order(StringComparer.Ordinal)],
            ManifestsChecked = loaded.Count,
            RecordsChecked = records,
            BytesChecked = bytes,
        };
    }

    private static bool InRange(TimeWindow window, VerifyRequest request) =>
        (request.From is null || window.End > request.From) && (request.To is null || window.Start < request.To);

    private sealed record LoadedManifest(string Name, EvidenceManifest Manifest, string Sha256);

    private async Task<LoadedManifest?> LoadManifestAsync(string name, EvidenceStream stream, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        BinaryData data;
        try
        {
            data = (await evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestUnreadable, stream.Name, name, "The manifest was listed but could not be read (deleted during verification?)."));
            return null;
        }

        EvidenceManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<EvidenceManifest>(data.ToMemory().Span, EvidenceJson.Options);
        }
        catch (JsonException ex)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestUnreadable, stream.Name, name, $"Not a valid manifest: {ex.Message}"));
            return null;
        }

        if (manifest is null || manifest.Schema != EvidenceManifest.SchemaId || manifest.Content is null || manifest.Window is null)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestUnreadable, stream.Name, name, $"Not a {EvidenceManifest.SchemaId} manifest."));
            return null;
        }

        EvidencePaths.TryParse(name, out var parsed);
        if (manifest.Stream != stream.Name || manifest.Window.Start != parsed.Window.Start || manifest.Window.End != parsed.Window.End
            || !manifest.Content.Blob.StartsWith(stream.Name + "/", StringComparison.Ordinal))
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestMisplaced, stream.Name, name,
                $"The manifest describes stream {manifest.Stream} window {TimeWindow.Iso(manifest.Window.Start)}–{TimeWindow.Iso(manifest.Window.End)} with content {manifest.Content.Blob}, which does not match where it is stored."));
        }

        if (manifest.Source is null || !manifest.Source.Complete)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestUnreadable, stream.Name, name, "The manifest does not state a complete source population (source.complete is not true): it is not a commit."));
        }

        var expectedStem = $"{EvidencePaths.Folder(stream, new TimeWindow(manifest.Window.Start, manifest.Window.End))}/{EvidencePaths.Stem(new TimeWindow(manifest.Window.Start, manifest.Window.End))}.";
        if (!manifest.Content.Blob.StartsWith(expectedStem, StringComparison.Ordinal))
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestMisplaced, stream.Name, name, $"The content blob {manifest.Content.Blob} is not this window's ({expectedStem}…)."));
        }

        return new LoadedManifest(name, manifest, Convert.ToHexStringLower(SHA256.HashData(data.ToMemory().Span)));
    }

    private sealed record Measured(long Records, long Bytes);

    private async Task<Measured> CheckContentAsync(EvidenceStream stream, string manifestName, ManifestContent expected, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        var blob = evidence.GetBlobClient(expected.Blob);
        if (expected.VersionId is { Length: > 0 } version)
        {
            blob = blob.WithVersion(version);
        }

        Stream body;
        try
        {
            body = (await blob.DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ContentMissing, stream.Name, expected.Blob, $"Content named by {manifestName} does not exist{(expected.VersionId is null ? string.Empty : $" in version {expected.VersionId}")}."));
            return new Measured(0, 0);
        }

        using var hashing = new HashingReadStream(body);
        using var uncompressedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long uncompressedBytes = 0, lines = 0;
        string? corrupt = null;
        try
        {
            await using var gzip = new GZipStream(hashing, CompressionMode.Decompress, leaveOpen: true);
            var buffer = new byte[128 * 1024];
            int read;
            while ((read = await gzip.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var span = buffer.AsSpan(0, read);
                uncompressedHash.AppendData(span);
                uncompressedBytes += read;
                lines += span.Count((byte)'\n');
            }
        }
        catch (InvalidDataException ex)
        {
            corrupt = ex.Message;
        }

        await hashing.DrainAsync(cancellationToken).ConfigureAwait(false);
        var sha = hashing.HashHex();
        if (corrupt is not null)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ContentCorrupt, stream.Name, expected.Blob, $"The gzip stream is damaged ({corrupt}); {manifestName} records SHA-256 {expected.Sha256}, the blob now hashes to {sha}."));
        }
        else if (sha != expected.Sha256)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ContentHashMismatch, stream.Name, expected.Blob, $"SHA-256 of the stored bytes is {sha}; {manifestName} records {expected.Sha256}."));
        }

        if (hashing.BytesRead != expected.Bytes)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ByteCountMismatch, stream.Name, expected.Blob, $"{hashing.BytesRead} bytes stored; {manifestName} records {expected.Bytes}."));
        }

        if (corrupt is null)
        {
            var usha = Convert.ToHexStringLower(uncompressedHash.GetCurrentHash());
            if (usha != expected.UncompressedSha256 || uncompressedBytes != expected.UncompressedBytes)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.UncompressedHashMismatch, stream.Name, expected.Blob, $"Uncompressed NDJSON is {uncompressedBytes} bytes with SHA-256 {usha}; {manifestName} records {expected.UncompressedBytes} bytes with {expected.UncompressedSha256}."));
            }

            if (lines != expected.Records)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.RecordCountMismatch, stream.Name, expected.Blob, $"{lines} records stored; {manifestName} records {expected.Records}."));
            }
        }

        return new Measured(lines, hashing.BytesRead);
    }

    private async Task CheckAttachmentAsync(EvidenceStream stream, string manifestName, ManifestAttachment attachment, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = (await evidence.GetBlobClient(attachment.Blob).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
            if (sha != attachment.Sha256 || bytes.Length != attachment.Bytes)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ContentHashMismatch, stream.Name, attachment.Blob, $"Attachment is {bytes.Length} bytes with SHA-256 {sha}; {manifestName} records {attachment.Bytes} bytes with {attachment.Sha256}."));
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ContentMissing, stream.Name, attachment.Blob, $"Attachment named by {manifestName} does not exist."));
        }
    }

    private async Task CheckChainAsync(EvidenceStream stream, List<LoadedManifest> manifests, bool unfiltered, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        var bySequence = manifests.GroupBy(m => m.Manifest.Sequence).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (sequence, group) in bySequence.Where(p => p.Value.Count > 1))
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ChainFork, stream.Name, group[1].Name,
                $"{group.Count} manifests claim sequence {sequence}: {string.Join(", ", group.Select(g => g.Name))}."));
        }

        var byName = manifests.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var current in manifests)
        {
            var manifest = current.Manifest;
            if (manifest.Sequence == 0)
            {
                if (manifest.Previous is not null)
                {
                    problems.Add(new IntegrityProblem(ProblemKinds.ChainMismatch, stream.Name, current.Name, $"Sequence 0 starts the chain but names a previous manifest ({manifest.Previous.Manifest})."));
                }

                continue;
            }

            if (manifest.Previous is null)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ChainBreak, stream.Name, current.Name, $"Sequence {manifest.Sequence} names no previous manifest."));
                continue;
            }

            // The manifest that really holds sequence N-1, if we have it.
            LoadedManifest? predecessor = bySequence.TryGetValue(manifest.Sequence - 1, out var candidates) ? candidates[0] : null;
            if (predecessor is not null && predecessor.Name != manifest.Previous.Manifest)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ChainMismatch, stream.Name, current.Name,
                    $"Sequence {manifest.Sequence} points to {manifest.Previous.Manifest}, but sequence {manifest.Sequence - 1} is {predecessor.Name}."));
                continue;
            }

            LoadedManifest? named = byName.GetValueOrDefault(manifest.Previous.Manifest);
            if (named is null && (!unfiltered || predecessor is null))
            {
                named = await LoadOutOfScopeAsync(manifest.Previous.Manifest, cancellationToken).ConfigureAwait(false);
            }

            if (named is null)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ChainBreak, stream.Name, current.Name,
                    $"Sequence {manifest.Sequence} points to {manifest.Previous.Manifest}, which does not exist: a manifest has been deleted from the chain."));
                continue;
            }

            if (named.Sha256 != manifest.Previous.Sha256)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ChainMismatch, stream.Name, current.Name,
                    $"Sequence {manifest.Sequence} records SHA-256 {manifest.Previous.Sha256} for {manifest.Previous.Manifest}, which now hashes to {named.Sha256}: the previous manifest was altered or replaced."));
            }
            else if (named.Manifest.Sequence != manifest.Sequence - 1)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ChainMismatch, stream.Name, current.Name,
                    $"Sequence {manifest.Sequence} points to {manifest.Previous.Manifest}, which holds sequence {named.Manifest.Sequence}."));
            }
        }
    }

    private async Task<LoadedManifest?> LoadOutOfScopeAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var data = (await evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            var manifest = JsonSerializer.Deserialize<EvidenceManifest>(data.ToMemory().Span, EvidenceJson.Options);
            return manifest is null ? null : new LoadedManifest(name, manifest, Convert.ToHexStringLower(SHA256.HashData(data.ToMemory().Span)));
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void CheckWindows(EvidenceStream stream, List<LoadedManifest> manifests, ConcurrentBag<IntegrityProblem> problems)
    {
        var windows = manifests.Where(m => m.Manifest.Kind == "window").OrderBy(m => m.Manifest.Window.Start).ToList();
        for (var i = 1; i < windows.Count; i++)
        {
            var previous = windows[i - 1].Manifest.Window;
            var current = windows[i].Manifest.Window;
            if (current.Start > previous.End)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.WindowGap, stream.Name, windows[i].Name,
                    $"No evidence for {TimeWindow.Iso(previous.End)}–{TimeWindow.Iso(current.Start)}: the windows before and after are committed, this one is not."));
            }
            else if (current.Start < previous.End)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.WindowOverlap, stream.Name, windows[i].Name,
                    $"Window {TimeWindow.Iso(current.Start)}–{TimeWindow.Iso(current.End)} overlaps {TimeWindow.Iso(previous.Start)}–{TimeWindow.Iso(previous.End)} ({windows[i - 1].Name})."));
            }
        }
    }

    private async Task<string?> ReadErrorReasonAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var data = (await evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            return data.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options)?.Reason;
        }
        catch (Exception ex) when (ex is RequestFailedException or JsonException)
        {
            return null;
        }
    }
}
