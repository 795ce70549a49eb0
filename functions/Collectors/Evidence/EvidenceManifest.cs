namespace Collectors.Evidence;

/// <summary>
/// The commit record of one window (schema <c>collectors.evidence/v1</c>, schemas/collectors.evidence.v1.schema.json).
/// Written once, never changed; <see cref="Previous"/> chains it to the stream's prior manifest.
/// </summary>
public sealed record EvidenceManifest
{
    public const string SchemaId = "collectors.evidence/v1";

    public string Schema { get; init; } = SchemaId;

    /// <summary><c>window</c> for a grid window, <c>supplement</c> for late records of a committed window, <c>event</c> for pushed events.</summary>
    public required string Kind { get; init; }

    /// <summary>The manifest's own blob name: a manifest copied elsewhere says where it belongs.</summary>
    public required string Name { get; init; }

    public required string Collector { get; init; }

    public required IReadOnlyList<string> Criteria { get; init; }

    public required string Stream { get; init; }

    public required string Scope { get; init; }

    /// <summary>Position in the stream's hash chain, from 0, in commit order.</summary>
    public required long Sequence { get; init; }

    public required ManifestWindow Window { get; init; }

    public required ManifestSource Source { get; init; }

    public required ManifestContent Content { get; init; }

    public required ManifestLink? Previous { get; init; }

    /// <summary>For a supplement: the manifest it adds to.</summary>
    public ManifestLink? Supplements { get; init; }

    public required ManifestInterval CollectedAt { get; init; }

    public required string CollectorVersion { get; init; }

    public required ManifestIdentity Identity { get; init; }

    public required ManifestImmutability Immutability { get; init; }

    public required string RunId { get; init; }

    /// <summary>Other write-once blobs committed with this manifest (e.g. the daily summary's HTML report).</summary>
    public IReadOnlyList<ManifestAttachment>? Attachments { get; init; }
}

public sealed record ManifestAttachment(string Blob, string ContentType, long Bytes, string Sha256);

/// <summary>A document to store write-once beside a window's content; its name ends with <see cref="Suffix"/>.</summary>
public sealed record EvidenceAttachment(string Suffix, string ContentType, BinaryData Data);

public sealed record ManifestWindow(DateTimeOffset Start, DateTimeOffset End);

public sealed record ManifestInterval(DateTimeOffset Start, DateTimeOffset End);

public sealed record ManifestSource(IReadOnlyList<SourceRequest> Requests, int Pages, bool Complete, string? Note);

/// <summary>One request as sent to the source. Body carries a POSTed query (Resource Graph).</summary>
public sealed record SourceRequest(string Method, string Url, string? ApiVersion, string? Filter, string? Body = null);

public sealed record ManifestContent(
    string Blob,
    string? VersionId,
    long Records,
    long Bytes,
    string Sha256,
    long UncompressedBytes,
    string UncompressedSha256,
    string Format);

/// <summary>
/// A link to another manifest: its name, the SHA-256 of its canonical bytes (what its signature signs:
/// the stored bytes without the <c>signature</c> member), and, where known when this manifest was
/// signed, the blob version that holds it.
/// </summary>
public sealed record ManifestLink(string Manifest, string Sha256, string? VersionId = null);

public sealed record ManifestIdentity(string Credential, string? ObjectId, string? AppId, string? TenantId, string? Description)
{
    /// <summary>Who an access token names (oid, appid/azp, tid, upn/unique_name/name).</summary>
    public static ManifestIdentity FromClaims(string credential, IReadOnlyDictionary<string, string> claims, string? fallbackDescription = null) => new(
        credential,
        claims.GetValueOrDefault("oid"),
        claims.GetValueOrDefault("appid") ?? claims.GetValueOrDefault("azp"),
        claims.GetValueOrDefault("tid"),
        claims.GetValueOrDefault("upn") ?? claims.GetValueOrDefault("unique_name") ?? claims.GetValueOrDefault("name") ?? fallbackDescription);
}

public sealed record ManifestImmutability(bool Enforced, bool LegalHold, DateTimeOffset? PolicyUntil, string? PolicyMode, string? Note);
