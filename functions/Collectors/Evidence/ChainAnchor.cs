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
    /// A stream's head as the evidence itself says: the last manifest of its newest chain claim that
    /// checks out (a planted or damaged claim is passed over). Null for a stream with no valid claim.
    /// </summary>
    public static async Task<StreamHead?> ReadHeadAsync(ChainClaims claims, BlobContainerClient evidence, EvidenceStream stream, CancellationToken cancellationToken)
    {
        if (await claims.NewestAsync(stream, cancellationToken).ConfigureAwait(false) is not { } newest)
        {
            return null;
        }

        var last = newest.Claim!.Manifests[^1];
        string? version = null;
        try
        {
            version = (await evidence.GetBlobClient(last.Name).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.VersionId;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Claimed but not written yet (a writer stopped half-way); the next write to the stream writes it.
        }

        return new StreamHead(stream.Name, newest.Last, last.Name, last.Sha256, version);
    }
}
