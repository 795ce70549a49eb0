namespace Collectors.Evidence;

/// <summary>
/// The mutable cache of one stream's position (schema <c>collectors.checkpoint/v1</c>), in the state
/// container. Everything in it can be rebuilt from the manifests.
/// </summary>
public sealed record Checkpoint
{
    public const string SchemaId = "collectors.checkpoint/v1";

    public string Schema { get; init; } = SchemaId;

    public required string Stream { get; init; }

    /// <summary>The last manifest of the hash chain; null before the first commit.</summary>
    public ChainHead? Head { get; init; }

    /// <summary>The start of the earliest window the timer has not committed yet.</summary>
    public DateTimeOffset? NextWindowStart { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Set when the checkpoint was rebuilt from the manifests (it was missing).</summary>
    public DateTimeOffset? RebuiltAt { get; init; }
}

/// <summary>
/// The last manifest of a stream's chain: its name, the SHA-256 its successor records (of its canonical,
/// signed bytes), its sequence, its window, the claim that holds it, and its blob version (null without versioning).
/// </summary>
public sealed record ChainHead(string Manifest, string Sha256, long Sequence, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string? Claim, string? VersionId);
