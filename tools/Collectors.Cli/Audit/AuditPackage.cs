using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Catalog;
using Collectors.Cli.Commands;
using Collectors.Evidence;
using Collectors.Summary;
using Collectors.Verification;

namespace Collectors.Cli.Audit;

internal sealed record AuditPackageResult(string Folder, string Zip, int Streams, int Manifests, long Records, int Findings, int DaysSummarised, IReadOnlyList<string> DaysWithoutSummary, bool Intact, IReadOnlyList<string> Problems);

/// <summary>
/// Writes an audit package for a range of days from read access alone (an auditor's SAS): every manifest,
/// the full population of records to sample from, the findings, the verification report of exactly this
/// range, an OSCAL assessment-results document, and an HTML index, with SHA256SUMS over all of it, as a
/// folder and a zip. The package is built in a temporary folder and moved into place at the end, so a
/// failure never leaves half a package under the name asked for.
/// </summary>
internal sealed class AuditPackage(BlobContainerClient container, string how, CollectorCatalog catalog, TimeProvider time)
{
    private static readonly string[] FallbackIds = ["id", "eventDataId", "name"];
    private static readonly string[] FallbackTimes = ["eventTime", "time", "eventTimestamp", "createdDateTime", "activityDateTime", "timestamp", "issuedAt", "revokedAt", "at"];

    /// <summary>
    /// Checks <paramref name="folder"/> can be a new package (and its zip a new file) before anything is read:
    /// the full path of the folder.
    /// </summary>
    /// <param name="withZip">The package's zip goes beside the folder: it must not exist either.</param>
    public static string CheckOut(string folder, bool withZip = true)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new CliUsageException("--out is empty: give a new folder for the package.");
        }

        string target;
        try
        {
            target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CliUsageException($"--out '{folder}' is not a usable path ({ex.Message}).");
        }

        if (File.Exists(target))
        {
            throw new CliUsageException($"--out {folder} is a file. Give a new folder.");
        }

        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new CliUsageException($"--out {folder} exists and is not empty. Give a new folder: a package is never mixed with an older one.");
        }

        if (withZip && (File.Exists(target + ".zip") || Directory.Exists(target + ".zip")))
        {
            throw new CliUsageException($"{target}.zip exists already. Move it away or give another --out.");
        }

        for (var parent = Path.GetDirectoryName(target); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                throw new CliUsageException($"--out {folder}: {parent} is a file, so no folder can be made under it.");
            }
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--out {folder}: its parent folder cannot be created ({ex.Message}).");
        }

        return target;
    }

    /// <param name="target">The package's folder, as <see cref="CheckOut"/> returned it (checked before anything is read).</param>
    public async Task<AuditPackageResult> WriteAsync(DateOnly from, DateOnly to, string target, IReadOnlyList<string>? trustedKeys, CancellationToken cancellationToken)
    {
        var zip = target + ".zip";
        var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var work = target + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        var zipWork = zip + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(work);
        try
        {
            var reader = await EvidenceReader.ForAuditorAsync(container, trustedKeys, cancellationToken).ConfigureAwait(false);
            var problems = new List<string>();
            var manifests = new List<CommittedManifest>();
            long records = 0;
            var notStreams = new List<string>();
            var streams = await reader.StreamsAsync(notStreams, cancellationToken).ConfigureAwait(false);
            problems.AddRange(notStreams);
            var manifestRows = new StringBuilder("stream,manifest,kind,window_start,window_end,sequence,records,content_blob,content_version_id,content_sha256,uncompressed_sha256,manifest_sha256,manifest_version_id,collected_at,signed_by_object_id\n");
            var streamsWithEvidence = 0;
            var summaries = new List<(DailySummary Summary, string Manifest)>();
            var damagedDays = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stream in streams)
            {
                var own = new List<CommittedManifest>();
                var untrusted = new List<string>();
                await foreach (var manifest in reader.ManifestsAsync(stream, start, end, cancellationToken, untrusted).ConfigureAwait(false))
                {
                    // A window belongs to the range its start is in: adjacent packages never share a record.
                    if (manifest.Manifest.Window.Start >= start && manifest.Manifest.Window.Start < end)
                    {
                        own.Add(manifest);
                    }
                }

                problems.AddRange(untrusted.Select(u => $"{stream}: not signed by a trusted key, left out of the package: {u}"));
                if (stream == DailySummaryService.Stream)
                {
                    damagedDays.UnionWith(untrusted.Select(u => u.Split(':')[0]).Select(DayOf).OfType<string>());
                }

                if (own.Count == 0)
                {
                    continue;
                }

                streamsWithEvidence++;
                var descriptor = catalog.Find(stream.Collector);
                var idPath = descriptor?.RecordId;
                var timePath = descriptor?.RecordTime;
                var population = new StringBuilder("record_id,event_time,window_start,window_end,manifest,line,record_sha256\n");
                foreach (var manifest in own)
                {
                    var m = manifest.Manifest;
                    // A manifest's rows count only once its whole content has matched the manifest's hash and record count.
                    var rows = new StringBuilder();
                    long count = 0;
                    DailySummary? summary = null;
                    try
                    {
                        await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
                        {
                            var json = record.Json.Span;
                            rows.Append(Csv(
                                RecordField(json, idPath, FallbackIds),
                                RecordField(json, timePath, FallbackTimes),
                                TimeWindow.Iso(m.Window.Start), TimeWindow.Iso(m.Window.End), manifest.Name, Num(record.Line + 1),
                                Convert.ToHexStringLower(SHA256.HashData(json))));
                            count++;
                            if (stream == DailySummaryService.Stream && m.Kind == "window" && summary is null)
                            {
                                summary = JsonSerializer.Deserialize<DailySummary>(json, EvidenceJson.Options);
                            }
                        }
                    }
                    catch (Exception ex) when (ex is InvalidDataException or JsonException)
                    {
                        problems.Add($"{stream}: {manifest.Name} left out of the package: {ex.Message}");
                        if (stream == DailySummaryService.Stream && DayOf(manifest.Name) is { } day)
                        {
                            damagedDays.Add(day);
                        }

                        continue;
                    }

                    manifestRows.Append(Csv(stream.Name, manifest.Name, m.Kind, TimeWindow.Iso(m.Window.Start), TimeWindow.Iso(m.Window.End), Num(m.Sequence), Num(m.Content.Records), m.Content.Blob, m.Content.VersionId,
                        m.Content.Sha256, m.Content.UncompressedSha256, manifest.StoredSha256, manifest.VersionId, TimeWindow.Iso(m.CollectedAt.End), m.Identity.ObjectId));
                    manifests.Add(manifest);
                    population.Append(rows);
                    records += count;
                    if (summary is not null && !summaries.Any(x => x.Summary.Date == summary.Date))
                    {
                        summaries.Add((summary, manifest.Name));
                    }
                }

                var csvPath = Path.Combine(work, "population", stream.Collector, stream.Scope + ".csv");
                Directory.CreateDirectory(Path.GetDirectoryName(csvPath)!);
                await File.WriteAllTextAsync(csvPath, population.ToString(), cancellationToken).ConfigureAwait(false);
            }

            await File.WriteAllTextAsync(Path.Combine(work, "manifests.csv"), manifestRows.ToString(), cancellationToken).ConfigureAwait(false);

            // The daily summaries in range are the statuses and findings: evidence themselves, read and hash-checked above.
            summaries.Sort((a, b) => string.CompareOrdinal(a.Summary.Date, b.Summary.Date));
            var missing = new List<string>();
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                var text = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                if (!summaries.Any(s => s.Summary.Date == text))
                {
                    missing.Add(damagedDays.Contains(text) ? $"{text} (stored, but damaged or not signed by a trusted key)" : text);
                }
            }

            var findings = new StringBuilder("date,criterion,check,severity,title,item,stream,manifest,record_id,at,new,age_days,summary_manifest\n");
            var findingCount = 0;
            foreach (var (summary, manifest) in summaries)
            {
                foreach (var f in summary.Findings)
                {
                    findings.Append(Csv(summary.Date, f.Criterion, f.Check, f.Severity.ToString().ToLowerInvariant(), f.Title, f.Item, f.Stream, f.Manifest, f.RecordId, f.At is { } at ? TimeWindow.Iso(at) : null, f.New ? "true" : "false", Num(f.AgeDays), manifest));
                    findingCount++;
                }
            }

            await File.WriteAllTextAsync(Path.Combine(work, "findings.csv"), findings.ToString(), cancellationToken).ConfigureAwait(false);

            var report = await new EvidenceVerifier(container, how, time).VerifyAsync(new VerifyRequest(null, start, end, 8, trustedKeys), null, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(work, "verify.txt"), VerifyReportText.Render(report), cancellationToken).ConfigureAwait(false);
            problems.AddRange(report.Problems.Select(p => $"verify: {p.Stream} {p.Kind}: {p.Detail}"));

            var generatedAt = time.GetUtcNow();
            var source = container.Uri.GetLeftPart(UriPartial.Path);
            Directory.CreateDirectory(Path.Combine(work, "oscal"));
            await File.WriteAllBytesAsync(Path.Combine(work, "oscal", "assessment-results.json"), OscalAssessmentResults.Build(new OscalInput(
                $"SOC 2 evidence {from:yyyy-MM-dd} to {to:yyyy-MM-dd}", generatedAt, from, to, source, Version(),
                [.. summaries.Select(s => Day(s.Summary, s.Manifest))],
                [.. manifests.Select(m => new OscalManifest(m.Name, m.Manifest.Stream, m.Manifest.Window.Start, m.Manifest.Window.End, m.Manifest.Content.Records, m.Manifest.Content.Blob, m.Manifest.Content.Sha256, m.Manifest.Content.UncompressedSha256, m.StoredSha256))])),
                cancellationToken).ConfigureAwait(false);

            await File.WriteAllTextAsync(Path.Combine(work, "index.html"), Index(from, to, source, generatedAt, summaries, missing, manifests, records, report, problems), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(work, "README.txt"), Readme(from, to, source, generatedAt, problems), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(work, "SHA256SUMS"), Sums(work), cancellationToken).ConfigureAwait(false);

            // The zip is made from the finished folder before either is moved into place: a failure leaves neither.
            ZipFile.CreateFromDirectory(work, zipWork, CompressionLevel.Optimal, includeBaseDirectory: false);
            if (Directory.Exists(target))
            {
                Directory.Delete(target);
            }

            Directory.Move(work, target);
            File.Move(zipWork, zip);
            return new AuditPackageResult(target, zip, streamsWithEvidence, manifests.Count, records, findingCount, summaries.Count, missing, problems.Count == 0, problems);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }

            if (File.Exists(zipWork))
            {
                File.Delete(zipWork);
            }
        }
    }

    /// <summary>The day (yyyy-MM-dd) of a blob under a stream's yyyy/MM/dd folders, if it is one.</summary>
    private static string? DayOf(string blob)
    {
        var parts = blob.Split('/');
        return parts.Length >= 5 && DateOnly.TryParseExact($"{parts[2]}-{parts[3]}-{parts[4]}", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : null;
    }

    private static OscalDay Day(DailySummary s, string manifest) => new(
        DateOnly.ParseExact(s.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture),
        manifest,
        [.. s.Criteria.Select(c => new OscalCriterion(
            c.Id, c.Name, c.Status, c.Reasons,
            [.. s.Streams.Where(x => c.Collectors.Contains(x.Collector)).Select(x => x.Stream)],
            [.. s.Findings.Where(f => f.Criterion == c.Id && f.Severity > Findings.Severity.Info).Select(f => new OscalFinding(f.Check, f.Title, f.Severity.ToString().ToLowerInvariant(), f.Item, f.Stream, f.Manifest, f.RecordId))]))]);

    /// <summary>A field of a record by its path (dots between levels), else the first of the usual names found; rendered as text.</summary>
    internal static string? RecordField(ReadOnlySpan<byte> json, string? path, string[] fallbacks)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            foreach (var candidate in path is null ? fallbacks : [path, .. fallbacks])
            {
                var element = document.RootElement;
                var found = true;
                foreach (var part in candidate.Split('.'))
                {
                    if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element))
                    {
                        found = false;
                        break;
                    }
                }

                if (found && element.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                {
                    return element.ToString();
                }
            }
        }
        catch (JsonException)
        {
            // A record that is not JSON has no fields: its line and hash still identify it.
        }

        return null;
    }

    private static string Sums(string folder)
    {
        var lines = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => f != "SHA256SUMS")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f =>
            {
                using var stream = File.OpenRead(Path.Combine(folder, f));
                return $"{Convert.ToHexStringLower(SHA256.HashData(stream))}  {f}\n";
            });
        return string.Concat(lines);
    }

    internal static string Csv(params string?[] fields) =>
        string.Join(',', fields.Select(f =>
        {
            var v = f ?? string.Empty;
            // A cell that a spreadsheet would run as a formula is quoted and prefixed (CSV injection).
            if (v.Length > 0 && v[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !IsNumber(v))
            {
                v = "'" + v;
            }

            return v.IndexOfAny([',', '"', '\n', '\r']) >= 0 || v.StartsWith('\'') ? $"\"{v.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : v;
        })) + "\n";

    private static bool IsNumber(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);


    private static string Version() =>
        typeof(AuditPackage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);

    private static string Readme(DateOnly from, DateOnly to, string source, DateTimeOffset at, List<string> problems) =>
        (problems.Count == 0 ? string.Empty : "PROBLEMS FOUND WHILE MAKING THIS PACKAGE (see verify.txt and index.html):\n" + string.Concat(problems.Select(p => $"  - {p}\n")) + "\n") +
        $"""
        Collectors audit package: SOC 2 evidence from {from:yyyy-MM-dd} to {to:yyyy-MM-dd} (UTC days, inclusive)
        Source: {source}
        Made: {TimeWindow.Iso(at)} by collectors export, with read-only access.

        index.html                     status per criterion per day, coverage, findings with their evidence
        manifests.csv                  every manifest in the range (stream, window, sequence, records, SHA-256s, versions)
        population/<collector>/<scope>.csv   one row per record: pick samples from the full population
        findings.csv                   every finding of the daily summaries in the range
        verify.txt                     collectors verify of exactly this range
        oscal/assessment-results.json  OSCAL 1.0.6 assessment results
        SHA256SUMS                     sha256sum -c SHA256SUMS proves no file of the package changed

        A record is identified by its manifest and line (1-based); record_sha256 is the SHA-256 of its bytes.
        A CSV cell that begins with = + - or @ (and is not a number) is prefixed with ' so that a spreadsheet
        does not run it as a formula; the record's own bytes are unchanged in the evidence.
        collectors sample draws a reproducible sample and proves each record against its manifest.
        See docs/auditor.md in the Collectors repository.

        """;

    private static string Index(DateOnly from, DateOnly to, string source, DateTimeOffset at, List<(DailySummary Summary, string Manifest)> summaries, List<string> missing,
        List<CommittedManifest> manifests, long records, VerificationReport report, List<string> problems)
    {
        const string Cell = "padding:4px 6px;border:1px solid #dee2e6;vertical-align:top;";
        static string Colour(string status) => status switch
        {
            Status.Pass => "#d1e7dd",
            Status.Fail => "#f8d7da",
            Status.Error => "#fff3cd",
            _ => "#e9ecef",
        };

        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.Append(CultureInfo.InvariantCulture, $"<title>SOC 2 evidence {from:yyyy-MM-dd} to {to:yyyy-MM-dd}</title></head>");
        h.Append("<body style=\"font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#212529;margin:16px;max-width:1200px;\">");
        h.Append(CultureInfo.InvariantCulture, $"<h1 style=\"font-size:22px;\">SOC 2 evidence, {from:yyyy-MM-dd} to {to:yyyy-MM-dd}</h1>");
        h.Append(CultureInfo.InvariantCulture, $"<p>Source <code>{E(source)}</code>, exported {E(TimeWindow.Iso(at))}. {manifests.Count} manifests, {records} records, {summaries.Count} daily summaries.</p>");
        h.Append(report.Intact && problems.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"<p style=\"background:#d1e7dd;padding:8px;\"><b>Verification: INTACT</b> &mdash; {report.ManifestsChecked} manifests re-hashed and their chains checked (verify.txt).</p>")
            : $"<div style=\"background:#f8d7da;padding:8px;\"><b>Verification: PROBLEMS</b> &mdash; {problems.Count} (verify.txt); what they affect is not in this package:<ul>{string.Concat(problems.Take(100).Select(p => $"<li style=\"word-break:break-all;\">{E(p)}</li>"))}</ul>{(problems.Count > 100 ? "<p>… and more in verify.txt and README.txt.</p>" : string.Empty)}</div>");
        if (missing.Count > 0)
        {
            h.Append(CultureInfo.InvariantCulture, $"<p style=\"background:#fff3cd;padding:8px;\">No daily summary is stored for {E(string.Join(", ", missing))}: those days have no status below (run <code>collectors summary --date D</code> as the evidence owner).</p>");
        }

        var days = summaries.Select(s => s.Summary).ToList();
        var criteria = days.SelectMany(d => d.Criteria).Select(c => (c.Id, c.Name)).Distinct().OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        h.Append("<h2 style=\"font-size:18px;\">Status per criterion and day</h2><div style=\"overflow-x:auto;\"><table style=\"border-collapse:collapse;font-size:13px;\"><tr>");
        h.Append(CultureInfo.InvariantCulture, $"<th style=\"{Cell}text-align:left;\">Criterion</th><th style=\"{Cell}text-align:left;\">Collectors</th>");
        foreach (var d in days)
        {
            h.Append(CultureInfo.InvariantCulture, $"<th style=\"{Cell}\">{E(d.Date)}</th>");
        }

        h.Append("</tr>");
        foreach (var (id, name) in criteria)
        {
            var collectors = days.SelectMany(d => d.Criteria.Where(c => c.Id == id).SelectMany(c => c.Collectors)).Distinct().ToList();
            h.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"{Cell}\"><b>{E(id)}</b> {E(name)}</td><td style=\"{Cell}\">{E(string.Join(", ", collectors))}</td>");
            foreach (var d in days)
            {
                var c = d.Criteria.FirstOrDefault(x => x.Id == id);
                var status = c?.Status ?? "—";
                h.Append(CultureInfo.InvariantCulture, $"<td style=\"{Cell}background:{Colour(status)};\" title=\"{E(c is null ? string.Empty : string.Join(" | ", c.Reasons))}\">{E(status)}</td>");
            }

            h.Append("</tr>");
        }

        h.Append("</table></div>");

        h.Append("<h2 style=\"font-size:18px;\">Coverage per stream and day</h2><div style=\"overflow-x:auto;\"><table style=\"border-collapse:collapse;font-size:13px;\">");
        h.Append(CultureInfo.InvariantCulture, $"<tr><th style=\"{Cell}text-align:left;\">Day</th><th style=\"{Cell}text-align:left;\">Stream</th><th style=\"{Cell}\">Collector</th><th style=\"{Cell}\">Windows committed / expected</th><th style=\"{Cell}\">Records</th><th style=\"{Cell}\">Open errors</th></tr>");
        foreach (var d in days)
        {
            foreach (var s in d.Streams)
            {
                h.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"{Cell}\">{E(d.Date)}</td><td style=\"{Cell}word-break:break-all;\">{E(s.Stream)}</td><td style=\"{Cell}\">{E(s.Collector)}</td><td style=\"{Cell}\">{s.WindowsCommitted} / {(s.WindowsExpected is { } x ? x.ToString(CultureInfo.InvariantCulture) : "events")}</td><td style=\"{Cell}\">{s.Records}</td><td style=\"{Cell}\">{s.ErrorRecords.Count(e => !e.CommittedSince)}</td></tr>");
            }
        }

        h.Append("</table></div>");

        h.Append("<h2 style=\"font-size:18px;\">Findings and their evidence</h2>");
        var findings = days.SelectMany(d => d.Findings.Select(f => (d.Date, f))).ToList();
        if (findings.Count == 0)
        {
            h.Append("<p>No findings in the range.</p>");
        }
        else
        {
            h.Append(CultureInfo.InvariantCulture, $"<div style=\"overflow-x:auto;\"><table style=\"border-collapse:collapse;font-size:13px;\"><tr><th style=\"{Cell}\">Day</th><th style=\"{Cell}\">Criterion</th><th style=\"{Cell}\">Severity</th><th style=\"{Cell}text-align:left;\">Finding</th><th style=\"{Cell}text-align:left;\">Evidence (manifest, record)</th></tr>");
            foreach (var (date, f) in findings)
            {
                h.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"{Cell}\">{E(date)}</td><td style=\"{Cell}\">{E(f.Criterion)}</td><td style=\"{Cell}\">{E(f.Severity.ToString().ToLowerInvariant())}</td><td style=\"{Cell}\"><b>{E(f.Check)}</b>: {E(f.Title)}<br>{E(f.Item)}</td><td style=\"{Cell}word-break:break-all;\"><code>{E(f.Manifest)}</code><br>record {E(f.RecordId ?? "(whole window)")}</td></tr>");
            }

            h.Append("</table></div>");
        }

        h.Append("<p style=\"color:#6c757d;font-size:12px;\">Check this package: <code>sha256sum -c SHA256SUMS</code>. Re-check the evidence itself: <code>collectors verify --sas-url &lt;url&gt; --from D --to D</code>. This page has no scripts and loads nothing.</p>");
        h.Append("</body></html>");
        return h.ToString();
    }
}
