using Collectors.Evidence;

namespace Collectors.Auditors;

/// <summary>
/// What was granted to an auditor, stored as evidence in <c>auditor-access/grants</c> (schema
/// <c>collectors.auditor-grant/v1</c>). Never holds the SAS: only the SHA-256 of its signature, which
/// proves which URL a grant was without letting anyone who reads the evidence use it.
/// </summary>
public sealed record AuditorGrantRecord
{
    public const string SchemaId = "collectors.auditor-grant/v1";

    public string Schema { get; init; } = SchemaId;

    /// <summary>A new id per grant; the event key of its manifest.</summary>
    public required string GrantId { get; init; }

    public required AuditorIdentity Auditor { get; init; }

    /// <summary>Who asked for the grant (from the caller's token; for a connection string, the account key holder).</summary>
    public required ManifestIdentity RequestedBy { get; init; }

    /// <summary><c>user-delegation</c> (an Entra identity's delegation key) or <c>service</c> (the account key: the storage emulator only).</summary>
    public required string SasKind { get; init; }

    public required string Account { get; init; }

    public required string Container { get; init; }

    /// <summary>The signed permissions: always <c>rl</c> (read, list).</summary>
    public required string Permissions { get; init; }

    /// <summary><c>https</c>, or <c>https,http</c> against an emulator that listens on HTTP only.</summary>
    public required string Protocol { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset StartsOn { get; init; }

    public required DateTimeOffset ExpiresOn { get; init; }

    /// <summary>The audit period the grant is for (yyyy-MM-dd, inclusive), when given. A blob SAS cannot be limited to it; see docs/auditor.md.</summary>
    public string? PeriodFrom { get; init; }

    public string? PeriodTo { get; init; }

    /// <summary>The delegation key's signed object id (skoid) and tenant (sktid); null for a service SAS.</summary>
    public string? SignedObjectId { get; init; }

    public string? SignedTenantId { get; init; }

    /// <summary>SHA-256 (hex) of the SAS's <c>sig</c> value as it appears in the URL (URL-decoded).</summary>
    public required string SignatureSha256 { get; init; }

    public string? Note { get; init; }
}

public sealed record AuditorIdentity(string Name, string Email);

/// <summary>A revocation of every user delegation key of the account (schema <c>collectors.auditor-revocation/v1</c>), in <c>auditor-access/revocations</c>.</summary>
public sealed record AuditorRevocationRecord
{
    public const string SchemaId = "collectors.auditor-revocation/v1";

    public string Schema { get; init; } = SchemaId;

    public required string RevocationId { get; init; }

    public required ManifestIdentity RequestedBy { get; init; }

    public required string AccountResourceId { get; init; }

    /// <summary>The storage account's name (the last segment of the id): only its grants are revoked.</summary>
    public required string Account { get; init; }

    public required DateTimeOffset RevokedAt { get; init; }

    /// <summary>What ARM answered (status code).</summary>
    public required int Status { get; init; }

    public required string Note { get; init; }
}

/// <summary>A grant that had not expired (or been revoked) at a given instant, as the daily summary lists it.</summary>
public sealed record ActiveGrant(string GrantId, string Auditor, string Email, string SasKind, string Permissions, DateTimeOffset IssuedAt, DateTimeOffset ExpiresOn, string? PeriodFrom, string? PeriodTo, string Manifest);
