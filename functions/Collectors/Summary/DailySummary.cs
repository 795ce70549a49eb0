using Collectors.Findings;

namespace Collectors.Summary;

/// <summary>The daily summary document (schema <c>collectors.summary/v1</c>, schemas/collectors.summary.v1.schema.json).</summary>
public sealed record DailySummary
{
    public const string SchemaId = "collectors.summary/v1";

    public string Schema { get; init; } = SchemaId;

    /// <summary>The UTC day summarised, yyyy-MM-dd.</summary>
    public required string Date { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }

    public required bool Emulator { get; init; }

    public required SummaryTotals Totals { get; init; }

    public required IReadOnlyList<StreamCoverage> Streams { get; init; }

    public required IReadOnlyList<CriterionStatus> Criteria { get; init; }

    public required IReadOnlyList<SummaryFinding> Findings { get; init; }

    public required SummaryDrift Drift { get; init; }

    /// <summary>Mail failures recorded since the previous summary (reported the next day).</summary>
    public required IReadOnlyList<string> MailFailures { get; init; }

    /// <summary>
    /// Every stream's chain head when the summary was built, and their digest, which the mail carries:
    /// <c>collectors verify --anchor &lt;digest&gt;</c> proves no chain was cut or rewritten behind them.
    /// </summary>
    public Evidence.ChainAnchor? Anchor { get; init; }

    /// <summary>Auditor grants that had not expired or been revoked when the summary was built (auditor-access/grants).</summary>
    public IReadOnlyList<Auditors.ActiveGrant> Grants { get; init; } = [];

    /// <summary>Grant or revocation records that could not be read (damaged, unsigned): the grants above may be incomplete.</summary>
    public IReadOnlyList<string> GrantsUnreadable { get; init; } = [];

    public string Subject => SummarySubject.For(this);
}

public sealed record SummaryTotals(int Pass, int Fail, int Error, int NotCovered, int NewFail, int NewError);

public static class Status
{
    public const string Pass = "PASS";
    public const string Fail = "FAIL";
    public const string Error = "ERROR";
    public const string NotCovered = "NOT COVERED";
}

public sealed record StreamCoverage(
    string Stream,
    string Collector,
    int? WindowsExpected,
    int WindowsCommitted,
    int WindowsLate,
    int WindowsMissing,
    int WindowsPending,
    int Supplements,
    long Records,
    IReadOnlyList<SummaryError> ErrorRecords,
    DateTimeOffset? LastCommit,
    bool Stale,
    bool ImmutabilityEnforced,
    string? ImmutabilityNote,
    bool SuspiciousEmpty,
    IReadOnlyList<string> Hours)
{
    /// <summary>Manifests in this stream's range that fail their signature check (forged or altered): never counted as commits.</summary>
    public IReadOnlyList<string> Untrusted { get; init; } = [];
}

public sealed record SummaryError(string Blob, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, string Reason, bool CommittedSince);

public sealed record CriterionStatus(string Id, string Name, string Status, IReadOnlyList<string> Collectors, IReadOnlyList<string> Reasons, int Findings, int FailingDays);

public sealed record SummaryFinding(string Key, string Check, string Criterion, Severity Severity, string Title, string Item, string Stream, string? Manifest, string? RecordId, DateTimeOffset? At, bool New, int AgeDays);

public sealed record SummaryDrift(string? PreviousDate, IReadOnlyList<string> NewFailures, IReadOnlyList<string> Fixed, IReadOnlyList<CriterionAge> StillFailing, IReadOnlyList<string> NewErrors, int NewFindings, int ResolvedFindings);

public sealed record CriterionAge(string Criterion, int Days);

internal static class SummarySubject
{
    /// <summary>e.g. "SOC 2 evidence 2026-11-25: 2 FAIL (1 new), 1 ERROR, 9 PASS".</summary>
    public static string For(DailySummary s)
    {
        var t = s.Totals;
        var fail = t.NewFail > 0 ? $"{t.Fail} FAIL ({t.NewFail} new)" : $"{t.Fail} FAIL";
        var error = t.NewError > 0 ? $"{t.Error} ERROR ({t.NewError} new)" : $"{t.Error} ERROR";
        return $"SOC 2 evidence {s.Date}: {fail}, {error}, {t.Pass} PASS";
    }
}
