namespace Collectors.Evidence;

/// <summary>
/// A failed attempt at a window (schema <c>collectors.error/v1</c>). Write-once, beside the window's
/// evidence; the window stays open and the next run tries again.
/// </summary>
public sealed record ErrorRecord
{
    public const string SchemaId = "collectors.error/v1";

    public string Schema { get; init; } = SchemaId;

    public required string Collector { get; init; }

    public required string Stream { get; init; }

    public required ManifestWindow Window { get; init; }

    public required string RunId { get; init; }

    /// <summary>1 for the first failed attempt at this window, counting the error records already there.</summary>
    public required int Attempt { get; init; }

    public required DateTimeOffset AttemptedAt { get; init; }

    /// <summary>What failed and what to do, in words a user can act on.</summary>
    public required string Reason { get; init; }

    public required string ErrorType { get; init; }

    public int? HttpStatus { get; init; }

    public string? ErrorCode { get; init; }

    public required IReadOnlyList<SourceRequest> Requests { get; init; }

    public required int PagesRead { get; init; }

    public required long RecordsRead { get; init; }

    public string? OrphanContent { get; init; }

    public required string CollectorVersion { get; init; }
}
