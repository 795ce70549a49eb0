namespace Collectors.Evidence;

/// <summary>
/// A claim on consecutive positions of a stream's hash chain (schema <c>collectors.claim/v1</c>), signed,
/// created write-once at <c>&lt;stream&gt;/chain/&lt;first:D12&gt;.claim.json</c> before its manifests exist. Only
/// one claim can ever hold a position (see <see cref="ChainClaims"/>), so two writers can never both append
/// manifest N (no fork), whatever happens to leases. It carries the signed manifests themselves, so any
/// writer that finds a claim whose manifests were never written (its writer stopped) writes them, byte
/// for byte, before going on.
/// </summary>
public sealed record ChainClaim
{
    public const string SchemaId = "collectors.claim/v1";

    public string Schema { get; init; } = SchemaId;

    public required string Stream { get; init; }

    /// <summary>The first position claimed; the claim holds positions First … First + Manifests.Count − 1.</summary>
    public required long First { get; init; }

    public required DateTimeOffset ClaimedAt { get; init; }

    public required IReadOnlyList<ClaimedManifest> Manifests { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public long Last => First + Manifests.Count - 1;
}

/// <summary>One claimed position: the manifest's blob name, its chain hash, and its signed bytes (Base64).</summary>
public sealed record ClaimedManifest(string Name, string Sha256, string Bytes);

/// <summary>Evidence that fails its own checks: forged, altered, or unsigned where a signature is required.</summary>
internal sealed class EvidenceIntegrityException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The positions were claimed (the claim holds the signed manifests) but the manifests could not be
/// written: the window is not lost; the next write to the stream writes them from the claim.
/// </summary>
internal sealed class ChainClaimedException(string claim, Exception inner)
    : Exception($"The chain position was claimed ({claim}) but the manifest could not be written: {inner.Message.Split('\n')[0]}", inner)
{
    public string Claim { get; } = claim;
}
