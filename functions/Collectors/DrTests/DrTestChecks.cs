using System.Globalization;
using System.Text.Json;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.Findings;
using Microsoft.Extensions.Options;

namespace Collectors.DrTests;

/// <summary>
/// Judges committed DR drill reports as of the end of the summary's day: each configured workload must
/// have a passing drill within its required interval; the latest drill of every workload (configured or
/// not) must have passed and met its recovery targets. Reads the evidence back over the longest interval.
/// </summary>
internal sealed class DrTestChecks(IOptions<DrTestsOptions> options)
{
    public const string Overdue = "dr-test-overdue";
    public const string LastFailed = "dr-test-failed";
    public const string OverTarget = "dr-test-over-target";

    public const int DefaultIntervalDays = 90;

    public async Task<IReadOnlyList<Finding>> EvaluateAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var workloads = options.Value.Workloads.Where(w => !string.IsNullOrWhiteSpace(w.Name)).ToList();
        var longest = workloads.Select(Interval).DefaultIfEmpty(DefaultIntervalDays).Max();
        var drills = await ReadAsync(reader, stream, to.AddDays(-longest), to, cancellationToken).ConfigureAwait(false);
        var findings = new List<Finding>();
        foreach (var workload in workloads)
        {
            var since = to.AddDays(-Interval(workload));
            var own = drills.Where(d => Same(d.Report.Workload, workload.Name)).ToList();
            if (!own.Any(d => d.Report.EndedAt >= since && Meets(d, workload)))
            {
                var lastPass = own.Where(d => Meets(d, workload)).Select(d => (DateTimeOffset?)d.Report.EndedAt).Max();
                var last = own.LastOrDefault();
                findings.Add(new Finding(Overdue, "A1.3", Severity.High, "No passing DR test within the required interval",
                    string.Create(CultureInfo.InvariantCulture, $"{workload.Name}: no passing drill since {TimeWindow.Iso(since)} (required every {Interval(workload)} days; last passing drill {(lastPass is { } p ? TimeWindow.Iso(p) : "none found")})"),
                    stream.Name, last?.Manifest, last?.EventId, last?.Report.EndedAt,
                    new Dictionary<string, string>
                    {
                        ["workload"] = workload.Name,
                        ["requiredIntervalDays"] = Interval(workload).ToString(CultureInfo.InvariantCulture),
                        ["lastPassingDrill"] = lastPass is { } lp ? TimeWindow.Iso(lp) : string.Empty,
                        ["lastDrill"] = last?.Report.DrillId ?? string.Empty,
                    }));
            }
        }

        foreach (var group in drills.GroupBy(d => d.Report.Workload.ToLowerInvariant()))
        {
            var latest = group.Last();
            var configured = workloads.FirstOrDefault(w => Same(w.Name, latest.Report.Workload));
            var r = latest.Report;
            if (!r.Passed)
            {
                findings.Add(new Finding(LastFailed, "A1.3", Severity.High, "The latest DR test failed",
                    $"{r.Workload}: drill {r.DrillId} ({r.Scenario}) ended {TimeWindow.Iso(r.EndedAt)} with result failed, run by {r.RunBy}",
                    stream.Name, latest.Manifest, latest.EventId, r.EndedAt, Details(r)));
            }

            var rtoTarget = Target(r.TargetRtoMinutes, configured?.RtoMinutes);
            var rpoTarget = Target(r.TargetRpoMinutes, configured?.RpoMinutes);
            var over = new List<string>();
            if (r.AchievedRtoMinutes is { } rto && rto > rtoTarget)
            {
                over.Add(string.Create(CultureInfo.InvariantCulture, $"RTO {rto} min > target {rtoTarget} min"));
            }

            if (r.AchievedRpoMinutes is { } rpo && rpo > rpoTarget)
            {
                over.Add(string.Create(CultureInfo.InvariantCulture, $"RPO {rpo} min > target {rpoTarget} min"));
            }

            if (over.Count > 0)
            {
                findings.Add(new Finding(OverTarget, "A1.3", Severity.Medium, "The latest DR test missed its recovery targets",
                    $"{r.Workload}: drill {r.DrillId} ({r.Scenario}) ended {TimeWindow.Iso(r.EndedAt)}: {string.Join(", ", over)}",
                    stream.Name, latest.Manifest, latest.EventId, r.EndedAt, Details(r)));
            }
        }

        return findings;
    }

    /// <summary>A drill counts as passing when it says so and met both the configured and its own targets.</summary>
    private static bool Meets(StoredDrill drill, DrWorkload workload)
    {
        var r = drill.Report;
        return r.Passed
            && r.AchievedRtoMinutes is { } rto && rto <= Target(r.TargetRtoMinutes, workload.RtoMinutes)
            && r.AchievedRpoMinutes is { } rpo && rpo <= Target(r.TargetRpoMinutes, workload.RpoMinutes);
    }

    private static double Target(double stated, double? configured) => configured is { } c ? Math.Min(stated, c) : stated;

    private static int Interval(DrWorkload workload) => workload.RequiredIntervalDays > 0 ? workload.RequiredIntervalDays : DefaultIntervalDays;

    private static bool Same(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string> Details(DrTestReport r) => new()
    {
        ["workload"] = r.Workload,
        ["drillId"] = r.DrillId,
        ["scenario"] = r.Scenario,
        ["result"] = r.Result,
        ["startedAt"] = TimeWindow.Iso(r.StartedAt),
        ["endedAt"] = TimeWindow.Iso(r.EndedAt),
        ["targetRtoMinutes"] = r.TargetRtoMinutes.ToString(CultureInfo.InvariantCulture),
        ["achievedRtoMinutes"] = r.AchievedRtoMinutes?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
        ["targetRpoMinutes"] = r.TargetRpoMinutes.ToString(CultureInfo.InvariantCulture),
        ["achievedRpoMinutes"] = r.AchievedRpoMinutes?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
        ["runBy"] = r.RunBy,
    };

    private sealed record StoredDrill(string Manifest, string EventId, DrTestReport Report);

    /// <summary>The stored drills of [from, to) by end time; a drill id reported twice (new event ids) counts once, its latest report.</summary>
    private static async Task<List<StoredDrill>> ReadAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var byDrill = new Dictionary<string, StoredDrill>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var manifest in reader.ManifestsAsync(stream, from, to, cancellationToken).ConfigureAwait(false))
        {
            if (manifest.Manifest.Kind != "event")
            {
                continue;
            }

            await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
            {
                using var document = JsonDocument.Parse(record.Json);
                var e = document.RootElement;
                JsonElement? data = e.TryGetProperty("data", out var d) ? d : null;
                if (e.TryGetProperty("id", out var idElement) is false || idElement.GetString() is not { } id || !seen.Add(id)
                    || DrTestReport.Read(data, out _) is not { } report || report.EndedAt >= to)
                {
                    continue;
                }

                var key = $"{report.Workload.ToLowerInvariant()}|{report.DrillId}";
                byDrill[key] = new StoredDrill(manifest.Name, id, report);
            }
        }

        return [.. byDrill.Values.OrderBy(d => d.Report.EndedAt).ThenBy(d => d.EventId, StringComparer.Ordinal)];
    }
}
