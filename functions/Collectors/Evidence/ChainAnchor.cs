using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;

namespace Collectors.Evidence;

/// <summary>Where one stream's chain ended when it was anchored: the last manifest, its sequence, chain hash and blob version.</summary>
public sealed record StreamHead(string Stream, long Sequence, string Manifest, string Sha256, string? VersionId);

/// <summary>
/// The heads of every stream at one moment, and their short digest. Each daily summary records one and
/// the daily mail carries the digest, outside the storage account: <c>collectors verify --anchor &lt;digest&gt;</c>
/// then proves that no chain was cut or rewritten behind those heads.
/// </summary>
public sealed record ChainAnchor(string Digest, IReadOnlyList<StreamHead> Heads)
{
    public static ChainAnchor Of(IEnumerable<StreamHead> heads)
    {
        var sorted = heads.OrderBy(h => h.Stream, StringComparer.Ordinal).ToList();
        return new ChainAnchor(DigestOf(sorted), sorted);
    }

    /// <summary>
    /// The first 128 bits of SHA-256 over one line per stream, <c>&lt;stream&gt;\t&lt;sequence&gt;\t&lt;sha256&gt;\n</c>,
    /// sorted by stream (ordinal), written as four groups of eight hex digits.
    /// </summary>
    public static string DigestOf(IEnumerable<StreamHead> heads)
    {
        var text = new StringBuilder();
        foreach (var head in heads.OrderBy(h => h.Stream, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{head.Stream}\t{head.Sequence}\t{head.Sha256}\n");
        }

        var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
        return $"{hex[..8]}-{hex[8..16]}-{hex[16..24]}-{hex[24..32]}";
    }

    /// <summary>Compares a digest as a person may type it (any case, with or without dashes or spaces).</summary>
    public static bool Matches(string typed, string digest) =>
        string.Equals(Normalize(typed), Normalize(digest), StringComparison.Ordinal);

    public static string Normalize(string digest) =>
        new([.. digest.Where(c => !char.IsWhiteSpace(c) && c != '-').Select(char.ToLowerInvariant)]);

    /// <summary>
    /// A stream's head as the evidence itself says: the last written manifest of its newest chain claim that
    /// checks out (a planted or damaged claim is passed over), or the one that claim links to when none of
    /// its manifests is written yet. Null for a stream with no valid claim.
    /// </summary>
    public static async Task<StreamHead?> ReadHeadAsync(ChainClaims claims, BlobContainerClient evidence, EvidenceStream stream, CancellationToken cancellationToken)
    {
        if (await claims.NewestAsync(stream, cancellationToken).ConfigureAwait(false) is not { } newest)
        {
            return null;
        }

        // Only a manifest that exists is anchored: a written manifest never goes away, so verify can call any
        // anchored head that is gone a cut, even while a claim still holds it. A writer that stopped between
        // claim and manifest leaves the newest positions unwritten: the head is the last written one before them.
        for (var k = newest.Claim!.Manifests.Count - 1; k >= 0; k--)
        {
            var entry = newest.Claim.Manifests[k];
            if (await VersionAsync(evidence, entry.Name, cancellationToken).ConfigureAwait(false) is { } found)
            {
                return new StreamHead(stream.Name, newest.First + k, entry.Name, entry.Sha256, found.VersionId);
            }
        }

        if (newest.Manifests[0].Previous is { } previous && await VersionAsync(evidence, previous.Manifest, cancellationToken).ConfigureAwait(false) is { } before)
        {
            return new StreamHead(stream.Name, newest.First - 1, previous.Manifest, previous.Sha256, before.VersionId);
        }

        // Nothing written that this claim links to: the stream is left out of this anchor.
        return null;
    }

    private static async Task<(string? VersionId, bool Exists)?> VersionAsync(BlobContainerClient evidence, string name, CancellationToken cancellationToken)
    {
        try
        {
            return ((await evidence.GetBlobClient(name).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.VersionId, true);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
