using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Evidence;
using Collectors.Signing;
using Collectors.Summary;

namespace Collectors.Verification;

/// <param name="TrustedKeys">Thumbprints of the signing keys to trust (from the deployment's output); when empty, every key published in the container is used, and the report says so.</param>
/// <param name="Anchor">A digest from a daily mail: the summary that carries it must exist and every head it names must still hold.</param>
public sealed record VerifyRequest(string? Stream = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Parallelism = 8, IReadOnlyList<string>? TrustedKeys = null, string? Anchor = null);

/// <summary>
/// Proves an evidence container is intact without trusting anything the writer cached: re-downloads
/// every manifest and content blob in scope, checks every signature against the published (or pinned)
/// keys, recomputes both hashes and the record count, walks each stream's hash chain against its chain
/// claims, checks windows abut, that no evidence blob has a second version or lost its current one, and
/// that every chain head a daily summary anchored is still there. Needs only read and list (a container SAS will do).
/// </summary>
public sealed class EvidenceVerifier(BlobContainerClient evidence, string storeDescription, TimeProvider time)
{
    public async Task<VerificationReport> VerifyAsync(VerifyRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var streamFilter = request.Stream is { Length: > 0 } s ? EvidenceStream.Parse(s) : null;
        var problems = new ConcurrentBag<IntegrityProblem>();
        var keys = await PublishedKeyCheck.LoadAsync(evidence, request.TrustedKeys, cancellationToken).ConfigureAwait(false);
        foreach (var unreadable in keys.Unreadable)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.SignatureInvalid, "keys", null, $"Published key {unreadable}; it was not used."));
        }

        // 1. One listing of the container (or of one stream), every version: classifies each blob by name.
        var listing = await ListAsync(streamFilter is null ? null : streamFilter.Name + "/", problems, cancellationToken).ConfigureAwait(false);
        var manifestsByStream = new Dictionary<EvidenceStream, List<string>>();
        var claimsByStream = new Dictionary<EvidenceStream, List<string>>();
        var contents = new List<(string Name, EvidenceStream Stream)>();
        var errors = new List<(string Name, ParsedEvidenceName Parsed)>();
        var rejections = new List<string>();
        foreach (var name in listing)
        {
            if (EvidencePaths.TryParseClaim(name, out var claimStream, out _, out _))
            {
                Add(claimsByStream, claimStream, name);
                continue;
            }

            if (!EvidencePaths.TryParse(name, out var parsed))
            {
                // Rejected messages are kept beside the streams, outside every chain: listed, never counted.
                if (name.StartsWith(EvidencePaths.RejectionsPrefix, StringComparison.Ordinal) && name.EndsWith(EvidencePaths.RejectionSuffix, StringComparison.Ordinal))
                {
                    rejections.Add(name);
                }

                continue;
            }

            var inRange = InRange(parsed.Window, request);
            switch (parsed.Kind)
            {
                case EvidenceBlobKind.Manifest:
                    var list = Add(manifestsByStream, parsed.Stream, null);
                    if (inRange)
                    {
                        list.Add(name);
                    }

                    break;
                case EvidenceBlobKind.Content when inRange:
                    contents.Add((name, parsed.Stream));
                    break;
                case EvidenceBlobKind.Error when inRange:
                    errors.Add((name, parsed));
                    break;
            }
        }

        // 2. Every manifest in scope: signature, placement, content end to end.
        var loaded = new ConcurrentDictionary<string, LoadedManifest>(StringComparer.Ordinal);
        var signers = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        long records = 0, bytes = 0, checkedCount = 0;
        var all = manifestsByStream.SelectMany(p => p.Value.Select(name => (Stream: p.Key, Name: name))).ToList();
        await Parallel.ForEachAsync(all, Options(request, cancellationToken), async (item, ct) =>
        {
            try
            {
                var manifest = await LoadManifestAsync(item.Name, item.Stream, keys, signers, problems, ct).ConfigureAwait(false);
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
            }
            catch (Exception ex) when (Unexpected(ex))
            {
                // Whatever a blob holds, it becomes a problem in the report, never a crash of the verifier.
                problems.Add(new IntegrityProblem(ProblemKinds.ManifestUnreadable, item.Stream.Name, item.Name, $"The manifest cannot be checked: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}"));
            }
        }).ConfigureAwait(false);

        // 3. Chains, claims and windows, stream by stream.
        var unfiltered = request.From is null && request.To is null;
        var summaries = new List<StreamSummary>();
        var pendingClaims = new List<string>();
        var pendingManifests = new Dictionary<string, LoadedManifest>(StringComparer.Ordinal);
        foreach (var stream in manifestsByStream.Keys.Union(claimsByStream.Keys).OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            var names = manifestsByStream.GetValueOrDefault(stream) ?? [];
            var manifests = names.Where(loaded.ContainsKey).Select(n => loaded[n]).OrderBy(m => m.Manifest.Sequence).ToList();
            await CheckChainAsync(stream, manifests, unfiltered, problems, cancellationToken).ConfigureAwait(false);
            var pending = await CheckClaimsAsync(stream, claimsByStream.GetValueOrDefault(stream) ?? [], manifests, unfiltered, keys, problems, cancellationToken).ConfigureAwait(false);
            foreach (var (claimName, entries) in pending)
            {
                pendingClaims.Add(claimName);
                foreach (var (entry, sha) in entries)
                {
                    // Claimed but not written yet: the claim holds the signed manifest; its content must still be there.
                    pendingManifests[entry.Name] = new LoadedManifest(entry.Name, entry, sha);
                    await CheckContentAsync(stream, entry.Name, entry.Content, problems, cancellationToken).ConfigureAwait(false);
                }
            }

            await CheckSupplementsAsync(stream, manifests, loaded, problems, cancellationToken).ConfigureAwait(false);
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

        // 4. Anchors: every head a daily summary recorded must still be in its chain, unchanged.
        var anchors = await CheckAnchorsAsync(request, streamFilter, loaded, pendingManifests, keys, problems, cancellationToken).ConfigureAwait(false);

        // 5. Orphans, error records and rejections: reported, never failures, but their signatures are checked.
        var referenced = loaded.Values.Select(m => m.Manifest.Content.Blob).ToHashSet(StringComparer.Ordinal);
        var orphans = contents.Where(c => !referenced.Contains(c.Name)).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        var committedWindows = loaded.Values.Where(m => m.Manifest.Kind == "window")
            .Select(m => (m.Manifest.Stream, m.Manifest.Window.Start, m.Manifest.Window.End)).ToHashSet();
        var errorSummaries = new ConcurrentBag<ErrorRecordSummary>();
        await Parallel.ForEachAsync(errors, Options(request, cancellationToken), async (error, ct) =>
        {
            var reason = await ReadSignedAsync<ErrorRecord>(error.Parsed.Stream.Name, error.Name, keys, signers, problems, ct).ConfigureAwait(false);
            errorSummaries.Add(new ErrorRecordSummary(error.Name, error.Parsed.Stream.Name, error.Parsed.Window, reason?.Reason,
                committedWindows.Contains((error.Parsed.Stream.Name, error.Parsed.Window.Start, error.Parsed.Window.End))));
        }).ConfigureAwait(false);
        await Parallel.ForEachAsync(rejections, Options(request, cancellationToken), async (name, ct) =>
            await ReadSignedAsync<RejectionRecord>("rejections", name, keys, signers, problems, ct).ConfigureAwait(false)).ConfigureAwait(false);

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
            ErrorRecords = [.. errorSummaries.OrderBy(e => e.Blob, StringComparer.Ordinal)],
            Rejections = [.. rejections.Order(StringComparer.Ordinal)],
            PendingClaims = [.. pendingClaims.Order(StringComparer.Ordinal)],
            Keys = [.. keys.Keys.Select(k => new KeySummary(k.Kid, k.Thumbprint, k.Custody, signers.GetValueOrDefault(k.Thumbprint)))],
            KeysPinned = keys.Pinned,
            Anchors = anchors,
            ManifestsChecked = loaded.Count,
            RecordsChecked = records,
            BytesChecked = bytes,
        };
    }

    /// <summary>Exceptions that mean "this blob holds something unexpected" (not cancellation, not the store being unreachable).</summary>
    private static bool Unexpected(Exception ex) =>
        ex is JsonException or FormatException or InvalidDataException or ArgumentException or NullReferenceException or InvalidOperationException or KeyNotFoundException;

    private static ParallelOptions Options(VerifyRequest request, CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Math.Max(1, request.Parallelism), CancellationToken = cancellationToken };

    private static List<string> Add(Dictionary<EvidenceStream, List<string>> map, EvidenceStream stream, string? name)
    {
        if (!map.TryGetValue(stream, out var list))
        {
            map[stream] = list = [];
        }

        if (name is not null)
        {
            list.Add(name);
        }

        return list;
    }

    /// <summary>
    /// Lists every blob with all its versions. Write-once evidence has exactly one version, and it is the
    /// current one: a second version is an overwrite, and versions without a current one are a deletion
    /// (the account's WORM policy keeps the old versions; this is how they are found). Returns the names
    /// that exist now. A store without versioning (the emulator) lists one current version per blob.
    /// </summary>
    private async Task<List<string>> ListAsync(string? prefix, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        var versions = new Dictionary<string, List<BlobItem>>(StringComparer.Ordinal);
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, States = BlobStates.Version }, cancellationToken).ConfigureAwait(false))
        {
            if (!versions.TryGetValue(item.Name, out var list))
            {
                versions[item.Name] = list = [];
            }

            list.Add(item);
        }

        var current = new List<string>(versions.Count);
        foreach (var (name, items) in versions)
        {
            foreach (var problem in VersionProblems(name, items))
            {
                problems.Add(problem);
            }

            if (items.Any(i => i.IsLatestVersion != false))
            {
                current.Add(name);
            }
        }

        current.Sort(StringComparer.Ordinal);
        return current;
    }

    /// <summary>What the versions of one evidence blob say: nothing for one current version; else an overwrite or a deletion.</summary>
    internal static IEnumerable<IntegrityProblem> VersionProblems(string name, IReadOnlyList<BlobItem> versions)
    {
        var stream = EvidencePaths.TryParse(name, out var parsed) ? parsed.Stream.Name
            : EvidencePaths.TryParseClaim(name, out var claimStream, out _, out _) ? claimStream.Name
            : name.Split('/')[0];
        var ids = string.Join(", ", versions.Select(v => v.VersionId ?? "(none)"));
        if (versions.All(v => v.IsLatestVersion == false))
        {
            yield return new IntegrityProblem(ProblemKinds.BlobDeleted, stream, name,
                $"The blob was deleted: only earlier versions remain ({ids}). Write-once evidence is never deleted by the collectors.");
        }
        else if (versions.Count > 1)
        {
            yield return new IntegrityProblem(ProblemKinds.BlobOverwritten, stream, name,
                $"The blob has {versions.Count} versions ({ids}): it was written over after it was first written. Write-once evidence has exactly one; the first version is the original.");
        }
    }

    private static bool InRange(TimeWindow window, VerifyRequest request) =>
        (request.From is null || window.End > request.From) && (request.To is null || window.Start < request.To);

    private sealed record LoadedManifest(string Name, EvidenceManifest Manifest, string Sha256);

    private async Task<LoadedManifest?> LoadManifestAsync(string name, EvidenceStream stream, PublishedKeyCheck keys, ConcurrentDictionary<string, int> signers, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
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

        await CheckSignatureAsync(stream.Name, name, data.ToMemory(), keys, signers, problems, cancellationToken).ConfigureAwait(false);
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

        if (manifest is null || manifest.Schema != EvidenceManifest.SchemaId || manifest.Content?.Blob is null || manifest.Content.Sha256 is null || manifest.Window is null
            || (manifest.Previous is not null && (manifest.Previous.Manifest is null || manifest.Previous.Sha256 is null)))
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestUnreadable, stream.Name, name, $"Not a {EvidenceManifest.SchemaId} manifest (a required field is missing)."));
            return null;
        }

        EvidencePaths.TryParse(name, out var parsed);
        if (manifest.Name != name || manifest.Stream != stream.Name || manifest.Window.Start != parsed.Window.Start || manifest.Window.End != parsed.Window.End
            || !manifest.Content.Blob.StartsWith(stream.Name + "/", StringComparison.Ordinal))
        {
            problems.Add(new IntegrityProblem(ProblemKinds.ManifestMisplaced, stream.Name, name,
                $"The manifest names itself {manifest.Name ?? "(nothing)"} in stream {manifest.Stream} window {TimeWindow.Iso(manifest.Window.Start)}–{TimeWindow.Iso(manifest.Window.End)} with content {manifest.Content.Blob}, which does not match where it is stored."));
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

        return new LoadedManifest(name, manifest, SignedJson.ChainHash(data.ToMemory().Span));
    }

    private static async Task CheckSignatureAsync(string stream, string name, ReadOnlyMemory<byte> bytes, PublishedKeyCheck keys, ConcurrentDictionary<string, int> signers, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        var check = await keys.CheckAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (check.Valid)
        {
            signers.AddOrUpdate(check.Thumbprint!, 1, (_, n) => n + 1);
            return;
        }

        var kind = check.Failure switch
        {
            SignatureFailure.Missing => ProblemKinds.SignatureMissing,
            SignatureFailure.Untrusted => ProblemKinds.SignatureUntrusted,
            _ => ProblemKinds.SignatureInvalid,
        };
        problems.Add(new IntegrityProblem(kind, stream, name, $"Signature: {check.Problem}."));
    }

    /// <summary>Reads a small signed record (error, rejection), checking its signature; null if unreadable.</summary>
    private async Task<T?> ReadSignedAsync<T>(string stream, string name, PublishedKeyCheck keys, ConcurrentDictionary<string, int> signers, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var data = (await evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            await CheckSignatureAsync(stream, name, data.ToMemory(), keys, signers, problems, cancellationToken).ConfigureAwait(false);
            return data.ToObjectFromJson<T>(EvidenceJson.Options);
        }
        catch (Exception ex) when (ex is RequestFailedException or JsonException)
        {
            return null;
        }
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

    /// <summary>
    /// The chain claims (which take each position write-once) against the manifests. At each position
    /// the lowest attempt that checks out (<see cref="ChainClaims"/>) holds it; any claim blob that does not
    /// check out is reported (planted or damaged), and so is a second valid one. Holders follow one another
    /// with no gap or overlap and link to each other; every manifest sits at a position a holder gave its
    /// name and hash; every claimed manifest exists, except in the newest holder, whose writer may have
    /// stopped half-way: those are returned as pending (the next write to the stream writes them).
    /// </summary>
    private async Task<List<(string Claim, IReadOnlyList<(EvidenceManifest Manifest, string Sha256)> Entries)>> CheckClaimsAsync(EvidenceStream stream, List<string> claimNames, List<LoadedManifest> manifests, bool unfiltered, PublishedKeyCheck keys, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        var claims = new ChainClaims(evidence, keys);
        var holders = new List<ClaimReading>();
        foreach (var position in claimNames.Select(n => (Name: n, Parsed: EvidencePaths.TryParseClaim(n, out _, out var f, out var a) ? (First: f, Attempt: a) : (First: -1L, Attempt: 0)))
            .GroupBy(x => x.Parsed.First).OrderBy(g => g.Key))
        {
            ClaimReading? holder = null;
            foreach (var (name, _) in position.OrderBy(x => x.Parsed.Attempt))
            {
                var reading = await claims.ReadAsync(stream, name, cancellationToken).ConfigureAwait(false);
                if (reading is null)
                {
                    continue;
                }

                if (!reading.Valid)
                {
                    problems.Add(new IntegrityProblem(ProblemKinds.ClaimInvalid, stream.Name, name, $"Not a valid chain claim ({reading.Problem}): planted or damaged. Writers step over it."));
                }
                else if (holder is null)
                {
                    holder = reading;
                }
                else
                {
                    problems.Add(new IntegrityProblem(ProblemKinds.ChainFork, stream.Name, name, $"A second valid claim at position {reading.First}; {holder.Name} holds it."));
                }
            }

            if (holder is not null)
            {
                holders.Add(holder);
            }
        }

        var positions = new Dictionary<long, (string Claim, ClaimedManifest Entry)>();
        for (var i = 0; i < holders.Count; i++)
        {
            var holder = holders[i];
            var expectedFirst = i == 0 ? 0 : holders[i - 1].Last + 1;
            if (unfiltered && holder.First != expectedFirst)
            {
                problems.Add(new IntegrityProblem(holder.First > expectedFirst ? ProblemKinds.ClaimGap : ProblemKinds.ChainFork, stream.Name, holder.Name,
                    holder.First > expectedFirst
                        ? $"Positions {expectedFirst}–{holder.First - 1} have no valid chain claim: a claim was deleted or damaged."
                        : $"The claim starts at position {holder.First}, inside the claim before it (which ends at {holders[i - 1].Last}): two claims hold the same positions."));
            }
            else if (i > 0 && holder.First == expectedFirst)
            {
                var link = holder.Manifests[0].Previous;
                var before = holders[i - 1].LastLink;
                if (link?.Manifest != before.Manifest || link?.Sha256 != before.Sha256)
                {
                    problems.Add(new IntegrityProblem(ProblemKinds.ClaimMismatch, stream.Name, holder.Name, $"The claim's first manifest links to {link?.Manifest ?? "nothing"}, not to {before.Manifest}, the last manifest of the claim before it."));
                }
            }

            for (var k = 0; k < holder.Claim!.Manifests.Count; k++)
            {
                positions.TryAdd(holder.First + k, (holder.Name, holder.Claim.Manifests[k]));
            }
        }

        var byName = manifests.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var manifest in manifests)
        {
            if (!positions.TryGetValue(manifest.Manifest.Sequence, out var at))
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ClaimMismatch, stream.Name, manifest.Name,
                    $"No valid chain claim holds position {manifest.Manifest.Sequence}: the manifest was written outside the chain."));
            }
            else if (at.Entry.Name != manifest.Name || at.Entry.Sha256 != manifest.Sha256)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ClaimMismatch, stream.Name, manifest.Name,
                    $"Position {manifest.Manifest.Sequence} was claimed ({at.Claim}) for {at.Entry.Name} with hash {at.Entry.Sha256}; this manifest hashes to {manifest.Sha256}."));
            }
        }

        var pending = new List<(string, IReadOnlyList<(EvidenceManifest, string)>)>();
        if (!unfiltered)
        {
            return pending;
        }

        for (var i = 0; i < holders.Count; i++)
        {
            var holder = holders[i];
            var missing = holder.Manifests.Select((m, k) => (Manifest: m, holder.Claim!.Manifests[k].Sha256)).Where(m => !byName.ContainsKey(m.Manifest.Name)).ToList();
            if (missing.Count == 0)
            {
                continue;
            }

            if (i == holders.Count - 1)
            {
                pending.Add((holder.Name, missing));
                continue;
            }

            foreach (var (entry, _) in missing)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ClaimUnwritten, stream.Name, entry.Name,
                    $"Claim {holder.Name} holds {entry.Name} at a position later claims build on, but the manifest does not exist: it was deleted (the claim still holds its signed bytes)."));
            }
        }

        return pending;
    }

    /// <summary>A supplement names the manifest it adds to by its chain hash: that manifest must exist, unchanged.</summary>
    private async Task CheckSupplementsAsync(EvidenceStream stream, List<LoadedManifest> manifests, ConcurrentDictionary<string, LoadedManifest> loaded, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        foreach (var supplement in manifests.Where(m => m.Manifest.Supplements is not null))
        {
            var link = supplement.Manifest.Supplements!;
            var original = loaded.GetValueOrDefault(link.Manifest ?? string.Empty) ?? (link.Manifest is null ? null : await LoadOutOfScopeAsync(link.Manifest, cancellationToken).ConfigureAwait(false));
            if (original is null || original.Sha256 != link.Sha256)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.ChainMismatch, stream.Name, supplement.Name,
                    original is null
                        ? $"The supplement adds to {link.Manifest}, which does not exist."
                        : $"The supplement records hash {link.Sha256} for {link.Manifest}, which hashes to {original.Sha256}: the original was altered or replaced."));
            }
        }
    }

    /// <summary>
    /// Every daily summary anchors the heads of all streams (written manifests only); each anchored head must
    /// still be in its chain, unchanged. Only summaries whose manifest is signed
    /// by a trusted key and whose content matches it are read; one that is not is reported. With a digest
    /// from a mail, the summary carrying it must exist too.
    /// </summary>
    private async Task<IReadOnlyList<AnchorSummary>> CheckAnchorsAsync(VerifyRequest request, EvidenceStream? streamFilter, ConcurrentDictionary<string, LoadedManifest> loaded, IReadOnlyDictionary<string, LoadedManifest> pending, PublishedKeyCheck keys, ConcurrentBag<IntegrityProblem> problems, CancellationToken cancellationToken)
    {
        var anchors = new List<AnchorSummary>();
        var summaries = new List<(DailySummary Summary, string Manifest)>();
        var prefix = DailySummaryService.Stream.Name + "/";
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (!EvidencePaths.TryParse(item.Name, out var parsed) || parsed.Kind != EvidenceBlobKind.Manifest)
            {
                continue;
            }

            var (summary, why) = await ReadSummaryAsync(item.Name, keys, cancellationToken).ConfigureAwait(false);
            if (why is not null)
            {
                problems.Add(new IntegrityProblem(ProblemKinds.AnchorMismatch, DailySummaryService.Stream.Name, item.Name, $"The summary cannot anchor anything: {why}."));
            }
            else if (summary?.Anchor is not null)
            {
                summaries.Add((summary, item.Name));
            }
        }

        var matched = request.Anchor is null;
        foreach (var (summary, manifest) in summaries.OrderBy(x => x.Summary.Date, StringComparer.Ordinal))
        {
            var anchor = summary.Anchor!;
            var digest = ChainAnchor.DigestOf(anchor.Heads);
            var isRequested = request.Anchor is not null && ChainAnchor.Matches(request.Anchor, digest);
            matched |= isRequested;
            var failures = 0;
            if (digest != anchor.Digest)
            {
                failures++;
                problems.Add(new IntegrityProblem(ProblemKinds.AnchorMismatch, DailySummaryService.Stream.Name, manifest,
                    $"The summary of {summary.Date} records anchor digest {anchor.Digest}, but its heads digest to {digest}."));
            }

            foreach (var head in anchor.Heads.Where(h => streamFilter is null || h.Stream == streamFilter.Name))
            {
                // Summaries anchor only written manifests, and a written manifest never goes away: one that is gone was
                // deleted, even if a claim still holds its bytes (it then shows as pending, and a writer would restore it).
                var found = loaded.GetValueOrDefault(head.Manifest) ?? await LoadOutOfScopeAsync(head.Manifest, cancellationToken).ConfigureAwait(false);
                string? why = found is null
                    ? $"The head of {head.Stream} anchored by the summary of {summary.Date} (sequence {head.Sequence}, {head.Manifest}) no longer exists: the end of the chain was cut{(pending.ContainsKey(head.Manifest) ? " (its claim still holds it, so the next write to the stream restores it; it was deleted after the summary saw it)" : string.Empty)}."
                    : found.Sha256 != head.Sha256 || found.Manifest.Sequence != head.Sequence
                        ? $"The head of {head.Stream} anchored by the summary of {summary.Date} was sequence {head.Sequence} with hash {head.Sha256}; {head.Manifest} now holds sequence {found.Manifest.Sequence} with hash {found.Sha256}: it was replaced."
                        : null;
                if (why is not null)
                {
                    failures++;
                    problems.Add(new IntegrityProblem(found is null ? ProblemKinds.HeadMissing : ProblemKinds.HeadAltered, head.Stream, head.Manifest, why));
                }
            }

            anchors.Add(new AnchorSummary(summary.Date, digest, anchor.Heads.Count, failures == 0, isRequested));
        }

        if (!matched)
        {
            problems.Add(new IntegrityProblem(ProblemKinds.AnchorUnknown, DailySummaryService.Stream.Name, null,
                $"No daily summary carries the anchor {request.Anchor}: the summary it came from was deleted or replaced, or the digest was mistyped (compare it with the mail)."));
        }

        return anchors;
    }

    /// <summary>A summary read as evidence: its manifest signed by a trusted key, its content at the recorded version and matching the manifest.</summary>
    private async Task<(DailySummary? Summary, string? Problem)> ReadSummaryAsync(string manifestName, PublishedKeyCheck keys, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = (await evidence.GetBlobClient(manifestName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            if (await keys.CheckAsync(bytes.ToMemory(), cancellationToken).ConfigureAwait(false) is { Valid: false } check)
            {
                return (null, $"its manifest's signature fails ({check.Problem})");
            }

            var manifest = bytes.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options);
            if (manifest?.Content?.Blob is null || manifest.Name != manifestName)
            {
                return (null, "its manifest is not this summary's");
            }

            var blob = evidence.GetBlobClient(manifest.Content.Blob);
            var content = (await (manifest.Content.VersionId is { Length: > 0 } version ? blob.WithVersion(version) : blob).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToArray();
            using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
            using var json = new MemoryStream();
            await gzip.CopyToAsync(json, cancellationToken).ConfigureAwait(false);
            if (Convert.ToHexStringLower(SHA256.HashData(json.ToArray())) != manifest.Content.UncompressedSha256)
            {
                return (null, "its content does not match its manifest");
            }

            return (JsonSerializer.Deserialize<DailySummary>(json.ToArray(), EvidenceJson.Options), null);
        }
        catch (Exception ex) when (ex is RequestFailedException or JsonException or InvalidDataException)
        {
            return (null, $"it cannot be read ({ex.Message.Split('\n')[0]})");
        }
    }

    private async Task<LoadedManifest?> LoadOutOfScopeAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var data = (await evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            var manifest = JsonSerializer.Deserialize<EvidenceManifest>(data.ToMemory().Span, EvidenceJson.Options);
            return manifest is null ? null : new LoadedManifest(name, manifest, SignedJson.ChainHash(data.ToMemory().Span));
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
}
