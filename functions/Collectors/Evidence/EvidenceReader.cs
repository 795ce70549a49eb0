using System.Buffers;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Signing;

namespace Collectors.Evidence;

/// <summary>A committed manifest and its name.</summary>
public sealed record CommittedManifest(string Name, EvidenceManifest Manifest)
{
    /// <summary>SHA-256 (hex) of the manifest blob's stored bytes, as read (null when not read through <see cref="EvidenceReader"/>).</summary>
    public string? StoredSha256 { get; init; }

    /// <summary>The blob version read, when the store keeps versions.</summary>
    public string? VersionId { get; init; }
}

/// <summary>One stored record: the line's bytes, and where it is (manifest and 0-based line).</summary>
public readonly record struct EvidenceRecord(string Manifest, long Line, ReadOnlyMemory<byte> Json);

/// <summary>
/// Reads committed evidence back, for checks and summaries: lists a stream's manifests by day folder,
/// and streams a manifest's records while re-computing the content hash, so a check never judges
/// altered evidence without saying so. With a signature check, a manifest that is not signed by a
/// trusted key is never returned: it is not a commit, whatever its name says.
/// </summary>
public sealed class EvidenceReader(BlobContainerClient evidence, ISignatureCheck? signatures = null)
{
    public BlobContainerClient Container => evidence;

    /// <summary>
    /// A reader for someone who holds only read access (an auditor's SAS): manifests are trusted when signed by a
    /// key published in the container (<c>keys/</c>), or only by the thumbprints given.
    /// </summary>
    public static async Task<EvidenceReader> ForAuditorAsync(BlobContainerClient evidence, IReadOnlyCollection<string>? trustedThumbprints, CancellationToken cancellationToken) =>
        new(evidence, await PublishedKeyCheck.LoadAsync(evidence, trustedThumbprints, cancellationToken).ConfigureAwait(false));

    /// <summary>The chain claims of this container, checked with the same signatures.</summary>
    public ChainClaims Claims { get; } = new(evidence, signatures);

    /// <summary>
    /// Every stream in the container: the collector/scope folders whose names are exactly stream names, in name
    /// order (public keys and rejections are not streams). A folder that is not (another tool's, or a
    /// differently-cased copy of a stream, which would otherwise be read as that stream a second time) is left
    /// out and described in <paramref name="notStreams"/> when given.
    /// </summary>
    public async Task<IReadOnlyList<EvidenceStream>> StreamsAsync(ICollection<string>? notStreams, CancellationToken cancellationToken)
    {
        var streams = new SortedDictionary<string, EvidenceStream>(StringComparer.Ordinal);
        try
        {
            await AddStreamsAsync(streams, notStreams, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No container yet: no streams. (Listing, not a properties call, so a read + list SAS can ask too.)
            return [];
        }

        return [.. streams.Values];
    }

    private async Task AddStreamsAsync(SortedDictionary<string, EvidenceStream> streams, ICollection<string>? notStreams, CancellationToken cancellationToken)
    {
        await foreach (var collector in evidence.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }, cancellationToken).ConfigureAwait(false))
        {
            if (!collector.IsPrefix || collector.Prefix is KeyPublication.Prefix or EvidencePaths.RejectionsPrefix)
            {
                continue;
            }

            await foreach (var scope in evidence.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/", Prefix = collector.Prefix }, cancellationToken).ConfigureAwait(false))
            {
                if (!scope.IsPrefix)
                {
                    continue;
                }

                EvidenceStream? stream = null;
                try
                {
                    stream = EvidenceStream.Parse(scope.Prefix.TrimEnd('/'));
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    // Not a stream name at all.
                }

                if (stream is null || stream.Name + "/" != scope.Prefix)
                {
                    notStreams?.Add($"folder '{scope.Prefix}' is not a stream of this product (stream names are lower-case): left out.");
                    continue;
                }

                streams[stream.Name] = stream;
            }
        }
    }

    /// <summary>
    /// The manifests of a stream whose window overlaps [from, to), in window order. Manifests that fail
    /// the signature check are left out; their names and problems go to <paramref name="untrusted"/> if given.
    /// </summary>
    public async IAsyncEnumerable<CommittedManifest> ManifestsAsync(EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken, ICollection<string>? untrusted = null)
    {
        var found = new List<CommittedManifest>();
        // Windows are filed under their start day; a window overlapping 'from' may have started the day before.
        for (var day = from.UtcDateTime.Date.AddDays(-1); day < to.UtcDateTime; day = day.AddDays(1))
        {
            var prefix = $"{stream.Name}/{day:yyyy}/{day:MM}/{day:dd}/";
            await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                if (!EvidencePaths.TryParse(item.Name, out var parsed) || parsed.Kind != EvidenceBlobKind.Manifest || parsed.Window.End <= from || parsed.Window.Start >= to)
                {
                    continue;
                }

                var download = (await evidence.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
                var data = download.Content;
                if (signatures is not null && await signatures.CheckAsync(data.ToMemory(), cancellationToken).ConfigureAwait(false) is { Valid: false } check)
                {
                    untrusted?.Add($"{item.Name}: {check.Problem}");
                    continue;
                }

                EvidenceManifest? manifest;
                try
                {
                    manifest = data.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options);
                }
                catch (JsonException ex)
                {
                    untrusted?.Add($"{item.Name}: not a manifest ({ex.Message})");
                    continue;
                }

                // A genuine manifest copied to another name or stream is not a commit of this window.
                if (manifest?.Window is null || manifest.Content is null || manifest.Name != item.Name || manifest.Stream != stream.Name)
                {
                    untrusted?.Add($"{item.Name}: it names itself {manifest?.Name ?? "(nothing)"} in stream {manifest?.Stream ?? "(none)"}, not this blob");
                    continue;
                }

                found.Add(new CommittedManifest(item.Name, manifest)
                {
                    StoredSha256 = Convert.ToHexStringLower(SHA256.HashData(data.ToMemory().Span)),
                    VersionId = download.Details.VersionId,
                });
            }
        }

        foreach (var manifest in found.OrderBy(m => m.Manifest.Window.Start).ThenBy(m => m.Name, StringComparer.Ordinal))
        {
            yield return manifest;
        }
    }

    /// <summary>Every record of one manifest, in stored order. Throws <see cref="InvalidDataException"/> if the content no longer matches its manifest.</summary>
    public async IAsyncEnumerable<EvidenceRecord> RecordsAsync(CommittedManifest committed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var content = committed.Manifest.Content;
        var blob = evidence.GetBlobClient(content.Blob);
        if (content.VersionId is { Length: > 0 } version)
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
            throw new InvalidDataException($"Content {content.Blob} named by {committed.Name} is missing.", ex);
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var gzip = new GZipStream(body, CompressionMode.Decompress);
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            var filled = 0;
            long line = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await gzip.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                sha.AppendData(buffer, filled, read);
                filled += read;
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n')) >= 0)
                {
                    yield return new EvidenceRecord(committed.Name, line++, buffer.AsMemory(start, newline));
                    start += newline + 1;
                }

                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }

            var hash = Convert.ToHexStringLower(sha.GetCurrentHash());
            if (filled != 0 || hash != content.UncompressedSha256 || line != content.Records)
            {
                throw new InvalidDataException($"Content {content.Blob} does not match {committed.Name} (records {line} vs {content.Records}, SHA-256 {hash} vs {content.UncompressedSha256}); run 'collectors verify'.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Every record of every manifest (windows and supplements) of a stream overlapping [from, to).</summary>
    public async IAsyncEnumerable<EvidenceRecord> RecordsInRangeAsync(EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var manifest in ManifestsAsync(stream, from, to, cancellationToken).ConfigureAwait(false))
        {
            await foreach (var record in RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
    }

    /// <summary>Reads one top-level string property of a record without building a document.</summary>
    public static string? ReadString(ReadOnlySpan<byte> json, string property)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(property);
            reader.Read();
            if (match)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            reader.Skip();
        }

        return null;
    }
}
