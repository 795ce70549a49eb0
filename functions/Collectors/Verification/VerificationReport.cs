using Collectors.Evidence;

namespace Collectors.Verification;

/// <summary>The result of walking an evidence container (schema <c>collectors.verify/v1</c>).</summary>
public sealed record VerificationReport
{
    public string Schema { get; init; } = "collectors.verify/v1";

    public required string Store { get; init; }

    public required string? StreamFilter { get; init; }

    public required DateTimeOffset? From { get; init; }

    public required DateTimeOffset? To { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required IReadOnlyList<StreamSummary> Streams { get; init; }

    /// <summary>Integrity problems: any one makes the store not intact (exit code 1).</summary>
    public required IReadOnlyList<IntegrityProblem> Problems { get; init; }

    /// <summary>Content blobs no manifest refers to: left by failed or losing attempts, never counted, harmless.</summary>
    public required IReadOnlyList<string> Orphans { get; init; }

    /// <summary>Recorded failed attempts (informational; the window's coverage is judged from the manifests).</summary>
    public required IReadOnlyList<ErrorRecordSummary> ErrorRecords { get; init; }

    /// <summary>Rejection records of pushed messages that were refused (informational: outside every stream and chain).</summary>
    public IReadOnlyList<string> Rejections { get; init; } = [];

    /// <summary>The newest chain claims whose manifests are not all written yet: a writer stopped half-way; the next write to the stream writes them.</summary>
    public IReadOnlyList<string> PendingClaims { get; init; } = [];

    /// <summary>The signing keys published in the container, and how many records each signed.</summary>
    public IReadOnlyList<KeySummary> Keys { get; init; } = [];

    /// <summary>True when only keys the caller pinned (--trusted-key) were trusted.</summary>
    public bool KeysPinned { get; init; }

    /// <summary>The daily summaries' anchors that were checked.</summary>
    public IReadOnlyList<AnchorSummary> Anchors { get; init; } = [];

    public required long ManifestsChecked { get; init; }

    public required long RecordsChecked { get; init; }

    public required long BytesChecked { get; init; }

    public bool Intact => Problems.Count == 0;
}

public sealed record StreamSummary(
    string Stream,
    long Manifests,
    long Records,
    DateTimeOffset? FirstWindowStart,
    DateTimeOffset? LastWindowEnd,
    long? FirstSequence,
    long? LastSequence,
    bool ImmutabilityEnforced);

public sealed record IntegrityProblem(string Kind, string Stream, string? Blob, string Detail);

/// <summary>A published signing key: its id, RFC 7638 thumbprint, custody, and the records it signed that were checked.</summary>
public sealed record KeySummary(string Kid, string Thumbprint, string? Custody, int Signed);

/// <summary>One summary's anchor: its date and digest, how many heads it names, whether they all held, and whether it is the one asked for (--anchor).</summary>
public sealed record AnchorSummary(string Date, string Digest, int Heads, bool Holds, bool Requested);

public sealed record ErrorRecordSummary(string Blob, string Stream, TimeWindow Window, string? Reason, bool WindowCommittedSince);

internal static class ProblemKinds
{
    public const string ContentMissing = "content-missing";
    public const string ContentCorrupt = "content-corrupt";
    public const string ContentHashMismatch = "content-hash-mismatch";
    public const string UncompressedHashMismatch = "uncompressed-hash-mismatch";
    public const string ByteCountMismatch = "byte-count-mismatch";
    public const string RecordCountMismatch = "record-count-mismatch";
    public const string ManifestUnreadable = "manifest-unreadable";
    public const string ManifestMisplaced = "manifest-misplaced";
    public const string ChainBreak = "chain-break";
    public const string ChainMismatch = "chain-mismatch";
    public const string ChainFork = "chain-fork";
    public const string WindowGap = "window-gap";
    public const string WindowOverlap = "window-overlap";
    public const string SignatureMissing = "signature-missing";
    public const string SignatureUntrusted = "signature-untrusted";
    public const string SignatureInvalid = "signature-invalid";
    public const string ClaimMismatch = "claim-mismatch";
    public const string ClaimInvalid = "claim-invalid";
    public const string ClaimGap = "claim-gap";
    public const string ClaimUnwritten = "claim-unwritten";
    public const string BlobOverwritten = "blob-overwritten";
    public const string BlobDeleted = "blob-deleted";
    public const string HeadMissing = "head-missing";
    public const string HeadAltered = "head-altered";
    public const string AnchorMismatch = "anchor-mismatch";
    public const string AnchorUnknown = "anchor-unknown";
}
