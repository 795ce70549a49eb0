using System.Globalization;
using Azure.Storage.Blobs.Models;
using Collectors.Catalog;
using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.Summary;

/// <summary>
/// Builds the summary of one UTC day from the evidence itself: coverage per stream (expected, committed,
/// late, missing windows; error records; staleness; immutability), findings of every collector's
/// checks, a PASS/FAIL/ERROR per criterion (never PASS by default), and drift against the day before.
/// </summary>
/// <param name="grid">The window grid and lag each collector runs with (the runtime's); by default its collector.json's.</param>
public sealed class DailySummaryBuilder(EvidenceReader reader, CollectorCatalog catalog, IEnumerable<ICollectorChecks> checks, bool emulator, TimeProvider time, Func<string, (TimeSpan Size, TimeSpan Lag)?>? grid = null)
{
    private readonly Func<string, (TimeSpan Size, TimeSpan Lag)?> _grid = grid ?? (id => catalog.Find(id) switch
    {
        { Windows: { } w } => (w.Size, w.Lag),
        { SnapshotEvery: { } every } => (every, TimeSpan.Zero),
        _ => null,
    });

    /// <summary>Stream prefixes that are not collector evidence.</summary>
    public const string SummariesCollector = "summaries";

    public async Task<DailySummary> BuildAsync(DateOnly date, DailySummary? previous, IReadOnlyList<string> mailFailures, CancellationToken cancellationToken)
    {
        var from = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var to = from.AddDays(1);
        var now = time.GetUtcNow();
        var streams = await DiscoverStreamsAsync(cancellationToken).ConfigureAwait(false);
        var coverage = new List<StreamCoverage>();
        var findings = new List<Finding>();
        var checkErrors = new Dictionary<string, List<string>>();
        foreach (var stream in streams)
        {
            var descriptor = catalog.Find(stream.Collector);
            if (descriptor is null)
            {
                continue;
            }

            coverage.Add(await CoverageAsync(stream, descriptor, from, to, now, previous, cancellationToken).ConfigureAwait(false));
            foreach (var check in checks.Where(c => c.CollectorId == stream.Collector))
            {
                try
                {
                    foreach (var finding in await check.EvaluateAsync(reader, stream, from, to, cancellationToken).ConfigureAwait(false))
                    {
                        // collector.json declares every check and its criterion: anything else is a defect, reported, never counted.
                        if (descriptor.Check(finding.Check) is { } declared && declared.Criterion == finding.Criterion && finding.Severity <= declared.Severity)
                        {
                            findings.Add(finding);
                        }
                        else
                        {
                            (checkErrors.TryGetValue(stream.Collector, out var undeclared) ? undeclared : checkErrors[stream.Collector] = []).Add(
                                $"{stream}: a finding of check '{finding.Check}' under {finding.Criterion} ({finding.Severity}) that {descriptor.Folder}/collector.json does not declare so: it was not counted.");
                        }
                    }
                }
                catch (InvalidDataException ex)
                {
                    // Evidence that no longer matches its manifest cannot be judged: that is an ERROR, not a pass.
                    (checkErrors.TryGetValue(stream.Collector, out var list) ? list : checkErrors[stream.Collector] = []).Add($"{stream}: evidence could not be read for the checks: {ex.Message}");
                }
            }
        }

        var previousFindings = previous?.Findings.ToDictionary(f => f.Key, f => f, StringComparer.Ordinal) ?? [];
        var summaryFindings = findings
            .Select(f => (Finding: f, Key: $"{f.Check}|{f.RecordId ?? f.Item}"))
            .GroupBy(x => x.Key, StringComparer.Ordinal).Select(g => g.First())
            .Select(x => new SummaryFinding(x.Key, x.Finding.Check, x.Finding.Criterion, x.Finding.Severity, x.Finding.Title, x.Finding.Item, x.Finding.Stream, x.Finding.Manifest, x.Finding.RecordId, x.Finding.At,
                New: !previousFindings.ContainsKey(x.Key), AgeDays: previousFindings.TryGetValue(x.Key, out var old) ? old.AgeDays + 1 : 0))
            .OrderByDescending(f => f.Severity).ThenBy(f => f.Criterion, StringComparer.Ordinal).ThenBy(f => f.At)
            .ToList();

        var previousCriteria = previous?.Criteria.ToDictionary(c => c.Id, StringComparer.Ordinal) ?? [];
        var criteria = new List<CriterionStatus>();
        foreach (var criterion in catalog.Criteria)
        {
            var collectors = catalog.Collectors.Where(c => c.Criteria.Contains(criterion.Id)).ToList();
            if (collectors.Count == 0)
            {
                criteria.Add(new CriterionStatus(criterion.Id, criterion.Name, Status.NotCovered, [], ["No collector gathers evidence for this criterion: it needs manual evidence."], 0, 0));
                continue;
            }

            var reasons = new List<string>();
            foreach (var collector in collectors)
            {
                var own = coverage.Where(s => s.Collector == collector.Id).ToList();
                if (own.Count == 0)
                {
                    reasons.Add($"{collector.Id}: no evidence stream exists (the collector has never committed anything).");
                }

                foreach (var s in own)
                {
                    if (s.WindowsPending > 0)
                    {
                        reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{s.Stream}: {s.WindowsPending} of {s.WindowsExpected} windows are not due yet (inside the collector's lag): the day is not complete."));
                    }

                    if (s.WindowsMissing > 0)
                    {
                        reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{s.Stream}: {s.WindowsMissing} of {s.WindowsExpected} windows missing."));
                    }

                    if (s.ErrorRecords.Any(e => !e.CommittedSince))
                    {
                        reasons.Add($"{s.Stream}: collection failed: {s.ErrorRecords.First(e => !e.CommittedSince).Reason}");
                    }

                    if (s.Stale)
                    {
                        reasons.Add($"{s.Stream}: stale: nothing committed since {(s.LastCommit is { } at ? TimeWindow.Iso(at) : "ever")} (freshness {collector.Freshness}).");
                    }

                    if (!s.ImmutabilityEnforced && !emulator)
                    {
                        reasons.Add($"{s.Stream}: immutability not enforced: {s.ImmutabilityNote}");
                    }

                    if (s.Untrusted.Count > 0)
                    {
                        reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{s.Stream}: {s.Untrusted.Count} manifest(s) fail their signature check and are not counted (forged or altered; run collectors verify): {s.Untrusted[0]}"));
                    }

                    if (s.SuspiciousEmpty)
                    {
                        reasons.Add($"{s.Stream}: no records at all, from a source that had records the day before: suspicious.");
                    }
                }

                reasons.AddRange(checkErrors.GetValueOrDefault(collector.Id) ?? []);
            }

            var failing = summaryFindings.Where(f => f.Criterion == criterion.Id && f.Severity > Severity.Info).ToList();
            var status = failing.Count > 0 ? Status.Fail : reasons.Count > 0 ? Status.Error : Status.Pass;
            if (failing.Count > 0)
            {
                reasons.Insert(0, string.Create(CultureInfo.InvariantCulture, $"{failing.Count} finding(s): {string.Join("; ", failing.GroupBy(f => f.Check).Select(g => $"{g.Key} × {g.Count()}"))}"));
            }

            var failingDays = status == Status.Fail ? (previousCriteria.TryGetValue(criterion.Id, out var was) && was.Status == Status.Fail ? was.FailingDays + 1 : 1) : 0;
            criteria.Add(new CriterionStatus(criterion.Id, criterion.Name, status, [.. collectors.Select(c => c.Id)], reasons, summaryFindings.Count(f => f.Criterion == criterion.Id), failingDays));
        }

        var drift = new SummaryDrift(
            previous?.Date,
            [.. criteria.Where(c => c.Status == Status.Fail && (!previousCriteria.TryGetValue(c.Id, out var p) || p.Status != Status.Fail)).Select(c => c.Id)],
            [.. criteria.Where(c => c.Status == Status.Pass && previousCriteria.TryGetValue(c.Id, out var p) && p.Status == Status.Fail).Select(c => c.Id)],
            [.. criteria.Where(c => c.Status == Status.Fail && previousCriteria.TryGetValue(c.Id, out var p) && p.Status == Status.Fail).Select(c => new CriterionAge(c.Id, c.FailingDays))],
            [.. criteria.Where(c => c.Status == Status.Error && (!previousCriteria.TryGetValue(c.Id, out var p) || p.Status != Status.Error)).Select(c => c.Id)],
            summaryFindings.Count(f => f.New),
            previous is null ? 0 : previous.Findings.Count(f => !summaryFindings.Any(n => n.Key == f.Key)));

        var covered = criteria.Where(c => c.Status != Status.NotCovered).ToList();
        var grantsUnreadable = new List<string>();
        return new DailySummary
        {
            Date = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            GeneratedAt = now,
            Emulator = emulator,
            Totals = new SummaryTotals(
                covered.Count(c => c.Status == Status.Pass),
                covered.Count(c => c.Status == Status.Fail),
                covered.Count(c => c.Status == Status.Error),
                criteria.Count - covered.Count,
                previous is null ? 0 : drift.NewFailures.Count,
                previous is null ? 0 : drift.NewErrors.Count),
            Streams = coverage,
            Criteria = criteria,
            Findings = summaryFindings,
            Drift = drift,
            MailFailures = mailFailures,
            Anchor = await AnchorAsync(streams, cancellationToken).ConfigureAwait(false),
            Grants = await Auditors.AuditorAccess.ActiveGrantsAsync(reader, now, grantsUnreadable, cancellationToken).ConfigureAwait(false),
            GrantsUnreadable = grantsUnreadable,
        };
    }

    /// <summary>The head of every stream's chain now (the summaries' own included: its head is the previous summary).</summary>
    private async Task<ChainAnchor> AnchorAsync(IEnumerable<EvidenceStream> streams, CancellationToken cancellationToken)
    {
        var heads = new List<StreamHead>();
        foreach (var stream in streams.Append(DailySummaryService.Stream).Distinct())
        {
            if (await ChainAnchor.ReadHeadAsync(reader.Claims, reader.Container, stream, cancellationToken).ConfigureAwait(false) is { } head)
            {
                heads.Add(head);
            }
        }

        return ChainAnchor.Of(heads);
    }

    private async Task<List<EvidenceStream>> DiscoverStreamsAsync(CancellationToken cancellationToken) =>
        [.. (await reader.StreamsAsync(null, cancellationToken).ConfigureAwait(false)).Where(s => s.Collector != SummariesCollector)];

    private async Task<StreamCoverage> CoverageAsync(EvidenceStream stream, CollectorDescriptor descriptor, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, DailySummary? previous, CancellationToken cancellationToken)
    {
        var manifests = new List<CommittedManifest>();
        var untrusted = new List<string>();
        // Up to now, not to the end of the day: the day's last windows are committed after midnight (lag).
        await foreach (var manifest in reader.ManifestsAsync(stream, from.AddDays(-1), now > to ? now : to, cancellationToken, untrusted).ConfigureAwait(false))
        {
            manifests.Add(manifest);
        }

        var today = manifests.Where(m => m.Manifest.Window.Start >= from && m.Manifest.Window.Start < to).ToList();
        var windows = today.Where(m => m.Manifest.Kind == "window").ToList();
        var errors = new List<SummaryError>();
        var folder = $"{stream.Name}/{from.UtcDateTime:yyyy}/{from.UtcDateTime:MM}/{from.UtcDateTime:dd}/";
        await foreach (var item in reader.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = folder }, cancellationToken).ConfigureAwait(false))
        {
            if (EvidencePaths.TryParse(item.Name, out var parsed) && parsed.Kind == EvidenceBlobKind.Error)
            {
                var record = (await reader.Container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options);
                errors.Add(new SummaryError(item.Name, parsed.Window.Start, parsed.Window.End, record?.Reason ?? "(unreadable error record)",
                    windows.Any(w => w.Manifest.Window.Start == parsed.Window.Start)));
            }
        }

        var hours = Enumerable.Repeat("none", 24).ToArray();
        int? expected = null;
        int late = 0, missing = 0, pending = 0;
        if (_grid(descriptor.Id) is { } grid)
        {
            var size = grid.Size;
            expected = (int)(TimeSpan.FromDays(1) / size);
            var lag = grid.Lag;
            for (var start = from; start < to; start += size)
            {
                var end = start + size;
                var committed = windows.FirstOrDefault(w => w.Manifest.Window.Start == start);
                string state;
                if (committed is not null)
                {
                    var isLate = committed.Manifest.CollectedAt.End > end + lag + TimeSpan.FromHours(1);
                    late += isLate ? 1 : 0;
                    state = isLate ? "late" : "committed";
                }
                else if (end + lag > now)
                {
                    pending++;
                    state = "pending";
                }
                else
                {
                    missing++;
                    state = errors.Any(e => e.WindowStart == start) ? "error" : "missing";
                }

                for (var h = start; h < end; h = h.AddHours(1))
                {
                    var index = (int)(h - from).TotalHours;
                    if (index is >= 0 and < 24)
                    {
                        hours[index] = Worse(hours[index], state);
                    }
                }
            }
        }
        else
        {
            foreach (var m in today)
            {
                var index = (int)(m.Manifest.Window.Start - from).TotalHours;
                if (index is >= 0 and < 24)
                {
                    hours[index] = "committed";
                }
            }
        }

        var lastCommit = manifests.Count == 0 ? (DateTimeOffset?)null : manifests.Max(m => m.Manifest.CollectedAt.End);
        var records = today.Sum(m => m.Manifest.Content.Records);
        var previousRecords = previous?.Streams.FirstOrDefault(s => s.Stream == stream.Name)?.Records;
        var immutable = today.All(m => m.Manifest.Immutability.Enforced);
        return new StreamCoverage(
            stream.Name,
            descriptor.Id,
            expected,
            windows.Count,
            late,
            missing,
            pending,
            today.Count(m => m.Manifest.Kind == "supplement"),
            records,
            errors,
            lastCommit,
            // Event streams have no schedule: silence there is not staleness.
            Stale: expected is not null && (lastCommit is null || now - lastCommit > descriptor.Freshness),
            immutable,
            today.Select(m => m.Manifest.Immutability.Note).FirstOrDefault(n => n is not null),
            SuspiciousEmpty: windows.Count > 0 && records == 0 && previousRecords > 0,
            hours)
        {
            Untrusted = untrusted,
        };
    }

    private static readonly string[] StateOrder = ["none", "committed", "pending", "late", "missing", "error"];

    private static string Worse(string a, string b) => Array.IndexOf(StateOrder, a) >= Array.IndexOf(StateOrder, b) ? a : b;
}
