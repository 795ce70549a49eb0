namespace Collectors.Findings;

public enum Severity
{
    /// <summary>A population or a count for the record (e.g. users created); never fails a control by itself.</summary>
    Info,
    Low,
    Medium,
    High,
}

/// <summary>
/// One thing a check found, with where its evidence is (the manifest and the record's id), so the daily
/// summary can list the failing items themselves and an auditor can go straight to the raw record.
/// </summary>
public sealed record Finding(
    string Check,
    string Criterion,
    Severity Severity,
    string Title,
    string Item,
    string Stream,
    string? Manifest,
    string? RecordId,
    DateTimeOffset? At,
    IReadOnlyDictionary<string, string>? Details = null);
