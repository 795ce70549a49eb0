using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Signing;

namespace Collectors.Evidence;

/// <summary>What reading one claim blob found: the claim and its manifests when it checks out, else why not.</summary>
public sealed record ClaimReading(string Name, long First, int Attempt, ChainClaim? Claim, IReadOnlyList<EvidenceManifest> Manifests, string? Problem)
{
    public bool Valid => Problem is null;

    public long Last => First + Manifests.Count - 1;

    /// <summary>The link a successor of this claim's last manifest records.</summary>
    public ManifestLink LastLink => new(Claim!.Manifests[^1].Name, Claim.Manifests[^1].Sha256);
}

/// <summary>
/// The one place that decides whether a chain claim holds its positions (writers, the summary's anchors
/// and verify all ask it). A claim holds positions when it is signed by a trusted key, sits at the name
/// its stream and first position give, and every manifest it carries is signed, names itself, sits at
/// its position with the hash the claim records, and links to the one before it. At one position the
/// lowest attempt that holds wins; a blob at a claim's name that does not hold (planted, damaged) is
/// skipped by writers and reported by verify, so it can never stop a stream.
/// </summary>
public sealed class ChainClaims(BlobContainerClient evidence, ISignatureCheck? signatures)
{
    /// <summary>Attempts at one position before a writer gives up (each failed one is a planted or damaged blob).</summary>
    public const int MaxAttempts = 100;

    /// <summary>Reads and checks one claim blob; null when it does not exist.</summary>
    public async Task<ClaimReading?> ReadAsync(EvidenceStream stream, string name, CancellationToken cancellationToken)
    {
        if (!EvidencePaths.TryParseClaim(name, out var named, out var first, out var attempt) || named != stream)
        {
            return new ClaimReading(name, -1, 0, null, [], $"{name} is not a claim name of stream {stream.Name}");
        }

        BinaryData data;
        try
        {
            data = (await evidence.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }

        var problem = await CheckAsync(stream, first, data.ToMemory(), cancellationToken).ConfigureAwait(false);
        if (problem.Problem is not null)
        {
            return new ClaimReading(name, first, attempt, null, [], problem.Problem);
        }

        return new ClaimReading(name, first, attempt, problem.Claim, problem.Manifests, null);
    }

    /// <summary>The claim that holds position <paramref name="first"/> (the lowest attempt that checks out), and the attempts that do not.</summary>
    public async Task<(ClaimReading? Holder, IReadOnlyList<ClaimReading> Invalid, int NextAttempt)> AtAsync(EvidenceStream stream, long first, CancellationToken cancellationToken)
    {
        var invalid = new List<ClaimReading>();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var reading = await ReadAsync(stream, EvidencePaths.Claim(stream, first, attempt), cancellationToken).ConfigureAwait(false);
            if (reading is null)
            {
                return (null, invalid, attempt);
            }

            if (reading.Valid)
            {
                return (reading, invalid, attempt + 1);
            }

            invalid.Add(reading);
        }

        return (null, invalid, MaxAttempts);
    }

    /// <summary>The newest claim of a stream that holds its positions (claims are named by position, so a listing finds them in order).</summary>
    public async Task<ClaimReading?> NewestAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        var firsts = new SortedSet<long>();
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = EvidencePaths.ChainPrefix(stream) }, cancellationToken).ConfigureAwait(false))
        {
            if (EvidencePaths.TryParseClaim(item.Name, out _, out var first, out _))
            {
                firsts.Add(first);
            }
        }

        foreach (var first in firsts.Reverse())
        {
            if ((await AtAsync(stream, first, cancellationToken).ConfigureAwait(false)).Holder is { } holder)
            {
                return holder;
            }
        }

        return null;
    }

    /// <summary>Checks claim bytes: null problem and the claim with its manifests when they hold position <paramref name="first"/> of the stream.</summary>
    public async Task<(ChainClaim? Claim, IReadOnlyList<EvidenceManifest> Manifests, string? Problem)> CheckAsync(EvidenceStream stream, long first, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (signatures is not null && await signatures.CheckAsync(bytes, cancellationToken).ConfigureAwait(false) is { Valid: false } unsigned)
        {
            return (null, [], $"the claim's own signature fails: {unsigned.Problem}");
        }

        ChainClaim? claim;
        try
        {
            claim = JsonSerializer.Deserialize<ChainClaim>(bytes.Span, EvidenceJson.Options);
        }
        catch (JsonException ex)
        {
            return (null, [], $"it is not a claim ({ex.Message})");
        }

        if (claim is null || claim.Schema != ChainClaim.SchemaId || claim.Manifests is not { Count: > 0 } || claim.Manifests.Any(m => m is null || m.Name is null || m.Sha256 is null || m.Bytes is null))
        {
            return (null, [], $"it is not a {ChainClaim.SchemaId} claim with manifests");
        }

        if (claim.Stream != stream.Name || claim.First != first)
        {
            return (null, [], $"it claims position {claim.First} of stream {claim.Stream}, not position {first} of {stream.Name}");
        }

        var manifests = new List<EvidenceManifest>();
        ManifestLink? previous = null;
        for (var k = 0; k < claim.Manifests.Count; k++)
        {
            var entry = claim.Manifests[k];
            var problem = await CheckEntryAsync(stream, claim.First + k, entry, previous, k > 0, cancellationToken).ConfigureAwait(false);
            if (problem.Problem is not null)
            {
                return (null, [], $"its manifest {k} ({entry.Name}): {problem.Problem}");
            }

            manifests.Add(problem.Manifest!);
            previous = new ManifestLink(entry.Name, entry.Sha256);
        }

        return (claim, manifests, null);
    }

    private async Task<(EvidenceManifest? Manifest, string? Problem)> CheckEntryAsync(EvidenceStream stream, long position, ClaimedManifest entry, ManifestLink? previous, bool checkLink, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(entry.Bytes);
        }
        catch (FormatException)
        {
            return (null, "its bytes are not Base64");
        }

        if (signatures is not null && await signatures.CheckAsync(bytes, cancellationToken).ConfigureAwait(false) is { Valid: false } check)
        {
            return (null, check.Problem);
        }

        EvidenceManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<EvidenceManifest>(bytes, EvidenceJson.Options);
        }
        catch (JsonException ex)
        {
            return (null, $"it is not a manifest ({ex.Message})");
        }

        if (manifest is null || manifest.Schema != EvidenceManifest.SchemaId || manifest.Window is null || manifest.Content is null)
        {
            return (null, $"it is not a {EvidenceManifest.SchemaId} manifest");
        }

        if (manifest.Name != entry.Name || manifest.Stream != stream.Name || manifest.Sequence != position)
        {
            return (null, $"it names itself {manifest.Name} in stream {manifest.Stream} at sequence {manifest.Sequence}, not {entry.Name} at {position}");
        }

        var hash = SignedJson.ChainHash(bytes);
        if (hash != entry.Sha256)
        {
            return (null, $"it hashes to {hash}, not {entry.Sha256}");
        }

        if (checkLink && (manifest.Previous?.Manifest != previous?.Manifest || manifest.Previous?.Sha256 != previous?.Sha256))
        {
            return (null, $"it links to {manifest.Previous?.Manifest ?? "nothing"}, not to {previous?.Manifest}");
        }

        return (manifest, null);
    }
}
