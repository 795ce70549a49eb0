using System.Globalization;
using System.Net;
using System.Text;
using Collectors.Findings;

namespace Collectors.Summary;

/// <summary>
/// The summary as a self-contained HTML e-mail: inline styles only, no scripts, table layout, so that
/// Outlook and Gmail render it as it is rendered here.
/// </summary>
internal static class HtmlReport
{
    private const string Font = "font-family:Segoe UI,Helvetica,Arial,sans-serif;";

    // Long unbroken text (blob paths, stream names, record ids) must wrap inside its cell, or it widens the
    // table past its 960 pixels. Prose breaks only where a word would overflow; identifiers anywhere.
    private const string WrapText = "word-break:break-word;overflow-wrap:anywhere;";
    private const string WrapIdentifier = "word-break:break-all;overflow-wrap:anywhere;";
    private static readonly Dictionary<string, (string Background, string Text)> Colours = new()
    {
        [Status.Pass] = ("#1e7e34", "#ffffff"),
        [Status.Fail] = ("#c82333", "#ffffff"),
        [Status.Error] = ("#e0a800", "#212529"),
        [Status.NotCovered] = ("#e9ecef", "#495057"),
        ["committed"] = ("#28a745", "#ffffff"),
        ["late"] = ("#ffc107", "#212529"),
        ["missing"] = ("#dc3545", "#ffffff"),
        ["error"] = ("#6f42c1", "#ffffff"),
        ["pending"] = ("#adb5bd", "#212529"),
        ["none"] = ("#f8f9fa", "#adb5bd"),
    };

    public static string Render(DailySummary s)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>").Append(E(s.Subject)).Append("</title></head>");
        h.Append("<body style=\"margin:0;padding:0;background:#f4f5f7;").Append(Font).Append("\">");
        h.Append("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f4f5f7;\"><tr><td align=\"center\" style=\"padding:16px;\">");
        h.Append("<table role=\"presentation\" width=\"960\" cellpadding=\"0\" cellspacing=\"0\" style=\"width:960px;table-layout:fixed;background:#ffffff;border:1px solid #dee2e6;\">");

        Row(h, $"<h1 style=\"margin:0;font-size:22px;color:#212529;{Font}\">SOC 2 evidence, {E(s.Date)}</h1>" +
            $"<p style=\"margin:6px 0 0 0;color:#495057;font-size:13px;\">Generated {E(TimeWindow(s.GeneratedAt))}{(s.Emulator ? " &middot; storage emulator: immutability cannot be enforced" : string.Empty)}</p>");
        Row(h, Totals(s));
        Row(h, Drift(s));
        Row(h, Section("Criteria") + Criteria(s));
        Row(h, Section("Failing items") + FindingsTable(s.Findings.Where(f => f.Severity > Severity.Info).ToList(), "Nothing failed."));
        Row(h, Section("Coverage by stream (hours of the day, UTC)") + Coverage(s) + Legend());
        var errors = s.Streams.SelectMany(x => x.ErrorRecords.Select(e => (x.Stream, e))).ToList();
        Row(h, Section("Collector errors") + (errors.Count == 0 ? P("No failed attempts.") : Table([new("Stream", 22, Identifier: true), new("Window", 10), new("Reason", 53), new("Since", 15)],
            errors.Select(x => new[] { E(x.Stream), E($"{x.e.WindowStart:HH:mm}–{x.e.WindowEnd:HH:mm}"), E(x.e.Reason), x.e.CommittedSince ? "committed later" : "<b>still open</b>" }))));
        Row(h, Section("For the record (informational)") + FindingsTable(s.Findings.Where(f => f.Severity == Severity.Info).ToList(), "Nothing to record."));
        Row(h, Section("Auditor access") + (s.Grants.Count == 0 ? P("No auditor holds a grant.") : Table([new("Auditor", 30, Identifier: true), new("Access", 20), new("Expires (UTC)", 20), new("Grant", 30, Identifier: true)],
            s.Grants.Select(g => new[] { E($"{g.Auditor} <{g.Email}>"), E(g.Permissions == "rl" ? "read + list" : g.Permissions) + (g.SasKind == "service" ? " (emulator)" : string.Empty), E(TimeWindow(g.ExpiresOn)), E(g.Manifest) })))
            + string.Concat(s.GrantsUnreadable.Select(u => P("<b>Could not read a grant record</b> (the list above may be incomplete): " + E(u)))));
        if (s.MailFailures.Count > 0)
        {
            Row(h, Section("Mail failures since the last summary") + string.Concat(s.MailFailures.Select(m => P(E(m)))));
        }

        if (s.Anchor is { } anchor)
        {
            Row(h, Section("Evidence anchor") +
                P($"<b style=\"font-family:Consolas,Menlo,monospace;font-size:15px;\">{E(anchor.Digest)}</b>") +
                P(E($"The digest of the {anchor.Heads.Count} chain heads recorded in this summary. Keep this mail: 'collectors verify --anchor {anchor.Digest}' proves that no evidence written before it was cut off or rewritten.")));
        }

        Row(h, $"<p style=\"margin:0;color:#6c757d;font-size:12px;\">Every item links to its evidence: the manifest blob and the record id inside its content. Run <code>collectors verify</code> to prove the evidence is complete and unaltered.</p>");
        h.Append("</table></td></tr></table></body></html>");
        return h.ToString();
    }

    private static void Row(StringBuilder h, string content) =>
        h.Append("<tr><td style=\"padding:14px 20px;border-bottom:1px solid #eef0f2;").Append(WrapText).Append(Font).Append("\">").Append(content).Append("</td></tr>");

    private static string Totals(DailySummary s)
    {
        string Cell(string label, int n, string status) =>
            $"<td align=\"center\" style=\"padding:10px 18px;background:{Colours[status].Background};color:{Colours[status].Text};{Font}font-size:20px;font-weight:bold;\">{n}<br><span style=\"font-size:12px;font-weight:normal;\">{label}</span></td><td width=\"8\"></td>";
        return "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\"><tr>" +
            Cell(s.Totals.NewFail > 0 ? $"FAIL ({s.Totals.NewFail} new)" : "FAIL", s.Totals.Fail, Status.Fail) +
            Cell(s.Totals.NewError > 0 ? $"ERROR ({s.Totals.NewError} new)" : "ERROR", s.Totals.Error, Status.Error) +
            Cell("PASS", s.Totals.Pass, Status.Pass) +
            Cell("not covered", s.Totals.NotCovered, Status.NotCovered) + "</tr></table>";
    }

    private static string Drift(DailySummary s)
    {
        var d = s.Drift;
        if (d.PreviousDate is null)
        {
            return Section("Since yesterday") + P("No summary for the day before: this is the first, so nothing is compared.");
        }

        string List(IEnumerable<string> items) => items.Any() ? string.Join(", ", items.Select(E)) : "none";
        return Section($"Since {E(d.PreviousDate)}") +
            Table([new("Change", 20), new("Criteria", 80)],
            [
                ["New failures", List(d.NewFailures)],
                ["Fixed", List(d.Fixed)],
                ["Still failing", List(d.StillFailing.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Criterion} ({x.Days} days)")))],
                ["New errors", List(d.NewErrors)],
                ["Findings", string.Create(CultureInfo.InvariantCulture, $"{d.NewFindings} new, {d.ResolvedFindings} no longer present")],
            ]);
    }

    private static string Criteria(DailySummary s) =>
        Table([new("Criterion", 24), new("Status", 9), new("Collectors", 17), new("Why", 50)],
            s.Criteria.Where(c => c.Status != Status.NotCovered).Select(c => new[]
            {
                $"<b>{E(c.Id)}</b> {E(c.Name)}",
                Badge(c.Status),
                E(string.Join(", ", c.Collectors)),
                c.Reasons.Count == 0 ? "complete evidence, no findings" : string.Join("<br>", c.Reasons.Take(6).Select(E)) + (c.Reasons.Count > 6 ? $"<br>… and {c.Reasons.Count - 6} more" : string.Empty),
            }))
        + P(E($"Not covered by any collector ({s.Criteria.Count(c => c.Status == Status.NotCovered)}): " + string.Join(", ", s.Criteria.Where(c => c.Status == Status.NotCovered).Select(c => c.Id))));

    private static string FindingsTable(IReadOnlyList<SummaryFinding> findings, string none) =>
        findings.Count == 0 ? P(none) :
        Table([new("Criterion", 8), new("Check", 14), new("Item", 26), new("When", 11), new("Evidence", 41, Identifier: true)],
            findings.Take(200).Select(f => new[]
            {
                E(f.Criterion),
                E(f.Check) + (f.New ? " <b style=\"color:#c82333;\">new</b>" : f.AgeDays > 0 ? E($" ({f.AgeDays} d)") : string.Empty),
                E(f.Item),
                f.At is { } at ? E(at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)) : string.Empty,
                $"<span style=\"font-family:Consolas,monospace;font-size:11px;\">{E(f.Manifest ?? string.Empty)}<br>record {E(f.RecordId ?? "(aggregate)")}</span>",
            })) + (findings.Count > 200 ? P(E($"… {findings.Count - 200} more in the JSON summary.")) : string.Empty);

    private static string Coverage(DailySummary s)
    {
        // Fixed column widths (200 + 24 × 18 + 96 + 64 + 76 pixels, inside the 920 of a row): a long stream name wraps in its cell.
        var h = new StringBuilder("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"1\" style=\"width:100%;table-layout:fixed;font-size:11px;border-collapse:separate;\"><tr><td width=\"200\" style=\"width:200px;padding:2px 6px;\"></td>");
        for (var hour = 0; hour < 24; hour++)
        {
            h.Append(CultureInfo.InvariantCulture, $"<td align=\"center\" width=\"18\" style=\"width:18px;color:#6c757d;{Font}\">{hour:D2}</td>");
        }

        h.Append("<td width=\"96\" style=\"width:96px;padding:2px 6px;color:#6c757d;\">windows</td><td width=\"64\" style=\"width:64px;padding:2px 6px;color:#6c757d;\">records</td><td width=\"76\" style=\"width:76px;padding:2px 6px;color:#6c757d;\">last commit</td></tr>");
        foreach (var stream in s.Streams)
        {
            h.Append("<tr><td style=\"padding:2px 6px;").Append(WrapIdentifier).Append(Font).Append("\">").Append(E(stream.Stream)).Append(stream.Stale ? " <b style=\"color:#c82333;\">stale</b>" : string.Empty).Append("</td>");
            foreach (var state in stream.Hours)
            {
                var (bg, fg) = Colours[state];
                h.Append(CultureInfo.InvariantCulture, $"<td title=\"{state}\" style=\"width:18px;height:16px;background:{bg};color:{fg};\">&nbsp;</td>");
            }

            var windows = stream.WindowsExpected is { } expected ? $"{stream.WindowsCommitted}/{expected}" : $"{stream.WindowsCommitted} (events)";
            h.Append(CultureInfo.InvariantCulture, $"<td style=\"padding:2px 6px;{WrapText}\">{E(windows)}{(stream.Supplements > 0 ? $" +{stream.Supplements} suppl." : string.Empty)}</td><td style=\"padding:2px 6px;{WrapText}\">{stream.Records:N0}</td><td style=\"padding:2px 6px;{WrapText}\">{(stream.LastCommit is { } at ? E(at.UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture)) : "never")}</td></tr>");
        }

        return h.Append("</table>").ToString();
    }

    private static string Legend() =>
        "<p style=\"margin:8px 0 0 0;font-size:11px;color:#495057;\">" + string.Join(" &nbsp; ", new[] { "committed", "late", "missing", "error", "pending", "none" }.Select(state =>
            $"<span style=\"display:inline-block;width:10px;height:10px;background:{Colours[state].Background};border:1px solid #ced4da;\"></span> {state}")) + "</p>";

    /// <summary>A column of a data table: its share of the width, and whether it holds identifiers (which may break anywhere).</summary>
    private sealed record Column(string Header, int Percent, bool Identifier = false);

    /// <summary>A full-width table with fixed column shares, so no cell's content can widen it.</summary>
    private static string Table(Column[] columns, IEnumerable<string[]> rows)
    {
        var h = new StringBuilder("<table role=\"presentation\" width=\"100%\" cellpadding=\"6\" cellspacing=\"0\" style=\"width:100%;table-layout:fixed;border-collapse:collapse;font-size:12px;\"><tr>");
        foreach (var column in columns)
        {
            h.Append(CultureInfo.InvariantCulture, $"<th align=\"left\" width=\"{column.Percent}%\" style=\"width:{column.Percent}%;background:#f1f3f5;border-bottom:1px solid #dee2e6;color:#495057;{WrapText}{Font}\">").Append(E(column.Header)).Append("</th>");
        }

        h.Append("</tr>");
        foreach (var row in rows)
        {
            h.Append("<tr>");
            for (var i = 0; i < row.Length; i++)
            {
                h.Append("<td valign=\"top\" style=\"border-bottom:1px solid #f1f3f5;color:#212529;").Append(columns[i].Identifier ? WrapIdentifier : WrapText).Append(Font).Append("\">").Append(row[i]).Append("</td>");
            }

            h.Append("</tr>");
        }

        return h.Append("</table>").ToString();
    }

    private static string Badge(string status) =>
        $"<span style=\"display:inline-block;padding:2px 8px;background:{Colours[status].Background};color:{Colours[status].Text};font-weight:bold;font-size:11px;\">{E(status)}</span>";

    private static string Section(string title) => $"<h2 style=\"margin:0 0 8px 0;font-size:16px;color:#212529;{Font}\">{title}</h2>";

    private static string P(string text) => $"<p style=\"margin:4px 0;font-size:12px;color:#495057;{WrapText}\">{text}</p>";

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static string TimeWindow(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
