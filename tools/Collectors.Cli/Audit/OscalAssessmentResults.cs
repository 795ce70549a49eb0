using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Collectors.Cli.Audit;

/// <summary>What the audit package's OSCAL document is built from: the period, its daily summaries and the manifests they rest on.</summary>
/// <param name="Title">The document's title, e.g. "SOC 2 evidence 2026-11-01 to 2026-11-30".</param>
/// <param name="GeneratedAt">When the export ran: the document's last-modified and published.</param>
/// <param name="From">First day of the period (UTC, inclusive).</param>
/// <param name="To">Last day of the period (UTC, inclusive).</param>
/// <param name="Source">The evidence container's URL without a query string (never a SAS).</param>
/// <param name="ToolVersion">The collectors tool's version: the document's version.</param>
/// <param name="Days">One daily summary per day.</param>
/// <param name="Manifests">Every manifest of the package: each becomes one back-matter resource.</param>
internal sealed record OscalInput(
    string Title,
    DateTimeOffset GeneratedAt,
    DateOnly From,
    DateOnly To,
    string Source,
    string ToolVersion,
    IReadOnlyList<OscalDay> Days,
    IReadOnlyList<OscalManifest> Manifests);

/// <summary>A day's summary: its manifest's blob name (if it was stored) and the status of every SOC 2 criterion.</summary>
internal sealed record OscalDay(DateOnly Date, string? SummaryManifest, IReadOnlyList<OscalCriterion> Criteria);

/// <summary>A criterion's status on a day: "PASS", "FAIL", "ERROR" or "NOT COVERED".</summary>
internal sealed record OscalCriterion(string Id, string Name, string Status, IReadOnlyList<string> Reasons, IReadOnlyList<string> Streams, IReadOnlyList<OscalFinding> Findings);

/// <summary>A failing check's finding, with the manifest and record it was found in.</summary>
internal sealed record OscalFinding(string Check, string Title, string Severity, string Item, string Stream, string? Manifest, string? RecordId);

/// <summary>A manifest blob and its content blob, with their SHA-256 (lower-case hex).</summary>
internal sealed record OscalManifest(string Name, string Stream, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, long Records, string ContentBlob, string CompressedSha256, string UncompressedSha256, string? ManifestSha256);

/// <summary>
/// Builds the audit package's OSCAL 1.0.6 <c>assessment-results</c> document (NIST's JSON schema,
/// schemas/oscal/oscal_assessment-results_schema.json). The mapping:
/// <list type="bullet">
/// <item>SOC 2 criteria stand in for controls: <c>control-id</c> is the criterion id lower-cased ("CC6.1" → "cc6.1");
/// there is no OSCAL catalog, SSP or assessment plan for them. <c>import-ap</c> (required) points at a back-matter
/// resource that says so.</item>
/// <item>One <c>result</c> per day (start = the day 00:00Z, end = the next day 00:00Z); its reviewed controls are every
/// criterion of that day's summary.</item>
/// <item>Per criterion per day one <c>observation</c> (method TEST, type control-objective, plus finding when it FAILs)
/// whose <c>relevant-evidence</c> points (<c>#uuid</c>) at the manifests of the criterion's streams whose window
/// overlaps the day, the manifests its check findings cite, and the day's summary manifest; <c>collected</c> is the
/// day's end, or the export time if that is earlier.</item>
/// <item>Per criterion per day one <c>finding</c> targeting objective <c>&lt;control-id&gt;_obj</c>: PASS → satisfied
/// (reason pass); FAIL → not-satisfied (fail); ERROR and NOT COVERED → not-satisfied (other), because OSCAL 1.0 has no
/// "not assessed" state and the tool cannot show them satisfied. The original status is the <c>status</c> prop; the
/// description lists the reasons and every check finding (check, title, severity, item, stream, manifest, record).</item>
/// <item>Each manifest is one back-matter resource: rlinks to the manifest blob (its SHA-256 if known) and to the content
/// blob (SHA-256 of the compressed bytes); the uncompressed SHA-256, stream, window and record count are props. rlink
/// hrefs are blob names relative to the evidence container (metadata's <c>source</c> link).</item>
/// <item>UUIDs are SHA-256 of a stable name (scoped by Source, From, To and GeneratedAt) with the version (5) and variant
/// bits set, so the same input gives byte-identical output. Strings are trimmed; empty optional members are omitted.</item>
/// </list>
/// </summary>
internal static class OscalAssessmentResults
{
    public const string OscalVersion = "1.0.6";

    /// <summary>The namespace of the props this tool defines (OSCAL's own props have none).</summary>
    public const string PropNamespace = "urn:collectors:oscal";

    private const string Pass = "PASS";
    private const string Fail = "FAIL";
    private const string Error = "ERROR";
    private const string NotCovered = "NOT COVERED";

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Indented = true,
        // The document is a file in the audit package, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Build(OscalInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.From > input.To)
        {
            throw new ArgumentException($"The period runs backwards: {Day(input.From)} to {Day(input.To)}.", nameof(input));
        }

        var source = WithoutQuery(input.Source);
        var scope = $"{source}|{Day(input.From)}|{Day(input.To)}|{Timestamp(input.GeneratedAt)}";
        string Id(string name) => DeterministicUuid(scope + "|" + name);

        var manifests = new List<OscalManifest>();
        var resources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in input.Manifests)
        {
            var name = Clean(m.Name) ?? throw new ArgumentException("A manifest has no name.", nameof(input));
            if (resources.TryAdd(name, Id("resource/" + name)))
            {
                manifests.Add(m with { Name = name });
            }
        }

        var days = input.Days.OrderBy(d => d.Date).ToList();
        for (var i = 0; i < days.Count; i++)
        {
            if (days[i].Date < input.From || days[i].Date > input.To)
            {
                throw new ArgumentException($"Day {Day(days[i].Date)} is outside the period {Day(input.From)} to {Day(input.To)}.", nameof(input));
            }

            if (i > 0 && days[i].Date == days[i - 1].Date)
            {
                throw new ArgumentException($"Day {Day(days[i].Date)} is given twice.", nameof(input));
            }

            var duplicate = days[i].Criteria.GroupBy(c => ControlId(c.Id), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new ArgumentException($"Day {Day(days[i].Date)} gives criterion {duplicate.Key} twice.", nameof(input));
            }
        }

        var planResource = Id("resource/assessment-plan");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("assessment-results");
            w.WriteString("uuid", DeterministicUuid($"document|{scope}"));
            WriteMetadata(w, input, source);

            w.WriteStartObject("import-ap");
            w.WriteString("href", "#" + planResource);
            w.WriteString("remarks", "The collectors assess the SOC 2 trust services criteria continuously from collected evidence; there is no OSCAL assessment plan. This href points at a back-matter resource that says so.");
            w.WriteEndObject();

            w.WriteStartArray("results");
            foreach (var day in days)
            {
                WriteResult(w, input, day, manifests, resources, Id);
            }

            w.WriteEndArray();

            w.WriteStartObject("back-matter");
            w.WriteStartArray("resources");
            w.WriteStartObject();
            w.WriteString("uuid", planResource);
            w.WriteString("title", "No assessment plan");
            w.WriteString("description", "The collectors assess the SOC 2 trust services criteria continuously; no OSCAL assessment plan (assessment-plan document) exists for this assessment. The reviewed controls of each result are the criteria of that day's summary.");
            w.WriteEndObject();
            foreach (var m in manifests)
            {
                WriteResource(w, m, resources[m.Name], source);
            }

            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteMetadata(Utf8JsonWriter w, OscalInput input, string? source)
    {
        w.WriteStartObject("metadata");
        w.WriteString("title", Clean(input.Title) ?? $"SOC 2 evidence {Day(input.From)} to {Day(input.To)}");
        w.WriteString("published", Timestamp(input.GeneratedAt));
        w.WriteString("last-modified", Timestamp(input.GeneratedAt));
        w.WriteString("version", Line(input.ToolVersion) ?? "unknown");
        w.WriteString("oscal-version", OscalVersion);
        w.WriteStartArray("props");
        WriteProp(w, "tool", "collectors");
        WriteProp(w, "period-start", Day(input.From));
        WriteProp(w, "period-end", Day(input.To));
        WriteProp(w, "source", source);
        w.WriteEndArray();
        if (source is not null)
        {
            w.WriteStartArray("links");
            w.WriteStartObject();
            w.WriteString("href", source);
            w.WriteString("rel", "source");
            w.WriteString("text", "Evidence container: the back-matter rlinks are blob names in it.");
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteString("remarks", string.Join(
            "\n\n",
            "Exported by the collectors tool from its evidence store. SOC 2 trust services criteria stand in for controls (control-id is the criterion id lower-cased); there is no OSCAL catalog, SSP or assessment plan for them.",
            "Each result is one UTC day's summary. Per criterion it has one observation (what the automated checks saw, with the evidence manifests as relevant evidence) and one finding: PASS is satisfied; FAIL, ERROR and NOT COVERED are not-satisfied (reason fail, other, other), the original status being the finding's status prop.",
            "Each back-matter resource is one evidence manifest: its rlinks are the manifest blob and its content blob with their SHA-256 hashes (the content's is of the compressed bytes; the uncompressed one is a prop)."));
        w.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter w, OscalInput input, OscalDay day, List<OscalManifest> manifests, Dictionary<string, string> resources, Func<string, string> id)
    {
        var date = Day(day.Date);
        var start = new DateTimeOffset(day.Date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = start.AddDays(1);
        var collected = input.GeneratedAt < end ? input.GeneratedAt : end;
        var summary = Clean(day.SummaryManifest);
        var summaryResource = summary is not null && resources.TryGetValue(summary, out var s) ? s : null;
        var byName = manifests.ToDictionary(m => m.Name, StringComparer.Ordinal);

        w.WriteStartObject();
        w.WriteString("uuid", id("result/" + date));
        w.WriteString("title", $"SOC 2 evidence {date}");
        var counts = string.Join(", ", new[] { Pass, Fail, Error, NotCovered }
            .Select(st => (st, n: day.Criteria.Count(c => Status(c) == st)))
            .Where(x => x.n > 0)
            .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.n} {x.st}")));
        w.WriteString("description", $"The statuses of the SOC 2 criteria on {date} (UTC) from the collectors' daily summary{(summary is null ? " (not stored)" : $" {Code(summary)}")}: {(counts.Length == 0 ? "no criteria" : counts)}.");
        w.WriteString("start", Timestamp(start));
        w.WriteString("end", Timestamp(end));
        if (summary is not null)
        {
            w.WriteStartArray("props");
            WriteProp(w, "summary-manifest", summary);
            w.WriteEndArray();
            if (summaryResource is not null)
            {
                w.WriteStartArray("links");
                w.WriteStartObject();
                w.WriteString("href", "#" + summaryResource);
                w.WriteString("rel", "reference");
                w.WriteString("text", "The daily summary's manifest");
                w.WriteEndObject();
                w.WriteEndArray();
            }
        }

        w.WriteStartObject("reviewed-controls");
        w.WriteStartArray("control-selections");
        w.WriteStartObject();
        if (day.Criteria.Count > 0)
        {
            w.WriteStartArray("include-controls");
            foreach (var c in day.Criteria)
            {
                w.WriteStartObject();
                w.WriteString("control-id", ControlId(c.Id));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteString("remarks", "The day's summary lists no criteria.");
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();

        if (day.Criteria.Count > 0)
        {
            w.WriteStartArray("observations");
            foreach (var c in day.Criteria)
            {
                var control = ControlId(c.Id);
                w.WriteStartObject();
                w.WriteString("uuid", id($"observation/{date}/{control}"));
                w.WriteString("title", $"{Clean(c.Id)} on {date}: {Status(c)}");
                w.WriteString("description", ObservationDescription(c, date, summary));
                w.WriteStartArray("props");
                WriteProp(w, "criterion", Line(c.Id));
                WriteProp(w, "status", Status(c));
                w.WriteEndArray();
                w.WriteStartArray("methods");
                w.WriteStringValue("TEST");
                w.WriteEndArray();
                w.WriteStartArray("types");
                w.WriteStringValue("control-objective");
                if (Status(c) == Fail)
                {
                    w.WriteStringValue("finding");
                }

                w.WriteEndArray();
                var evidence = Evidence(c, start, end, manifests, byName, summary).ToList();
                if (evidence.Count > 0)
                {
                    w.WriteStartArray("relevant-evidence");
                    foreach (var (m, why) in evidence)
                    {
                        w.WriteStartObject();
                        w.WriteString("href", "#" + resources[m.Name]);
                        w.WriteString("description", why);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }

                w.WriteString("collected", Timestamp(collected));
                w.WriteEndObject();
            }

            w.WriteEndArray();

            w.WriteStartArray("findings");
            foreach (var c in day.Criteria)
            {
                var control = ControlId(c.Id);
                var status = Status(c);
                var (state, reason, remarks) = status switch
                {
                    Pass => ("satisfied", "pass", "PASS: every check under the criterion passed on complete evidence."),
                    Fail => ("not-satisfied", "fail", "FAIL: at least one check under the criterion found a violation."),
                    Error => ("not-satisfied", "other", "ERROR: the evidence was incomplete or could not be trusted (see the reasons), so the checks cannot show the criterion met; OSCAL 1.0 has no state for this."),
                    NotCovered => ("not-satisfied", "other", "NOT COVERED: no collector gathers evidence for this criterion, so the tool did not assess it; OSCAL 1.0 has no 'not assessed' state, and it cannot be shown satisfied."),
                    _ => ("not-satisfied", "other", $"Status '{status}' is not one the tool knows; it cannot be shown satisfied."),
                };

                w.WriteStartObject();
                w.WriteString("uuid", id($"finding/{date}/{control}"));
                w.WriteString("title", $"{Clean(c.Id)} {Clean(c.Name)} on {date}: {status}".Replace("  ", " ", StringComparison.Ordinal));
                w.WriteString("description", FindingDescription(c, date));
                w.WriteStartArray("props");
                WriteProp(w, "criterion", Line(c.Id));
                WriteProp(w, "status", status);
                w.WriteEndArray();
                w.WriteStartObject("target");
                w.WriteString("type", "objective-id");
                w.WriteString("target-id", control + "_obj");
                w.WriteStartObject("status");
                w.WriteString("state", state);
                w.WriteString("reason", reason);
                w.WriteString("remarks", remarks);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartArray("related-observations");
                w.WriteStartObject();
                w.WriteString("observation-uuid", id($"observation/{date}/{control}"));
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static IEnumerable<(OscalManifest Manifest, string Why)> Evidence(OscalCriterion c, DateTimeOffset start, DateTimeOffset end, List<OscalManifest> manifests, Dictionary<string, OscalManifest> byName, string? summary)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var streams = c.Streams.Select(Clean).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var m in manifests)
        {
            var overlaps = m.WindowStart < end && (m.WindowEnd > start || (m.WindowEnd == m.WindowStart && m.WindowStart >= start));
            if (streams.Contains(m.Stream.Trim()) && overlaps && seen.Add(m.Name))
            {
                yield return (m, string.Create(CultureInfo.InvariantCulture, $"Evidence of stream {Code(m.Stream.Trim())} for {Timestamp(m.WindowStart)} to {Timestamp(m.WindowEnd)}: {m.Records} records (manifest {Code(m.Name)})."));
            }
        }

        foreach (var f in c.Findings)
        {
            if (Clean(f.Manifest) is { } name && byName.TryGetValue(name, out var m) && seen.Add(m.Name))
            {
                yield return (m, $"The manifest a finding of check {Code(f.Check.Trim())} cites (manifest {Code(m.Name)}).");
            }
        }

        if (summary is not null && byName.TryGetValue(summary, out var s) && seen.Add(s.Name))
        {
            yield return (s, $"The daily summary that gave this status (manifest {Code(s.Name)}).");
        }
    }

    private static string ObservationDescription(OscalCriterion c, string date, string? summary)
    {
        var streams = c.Streams.Select(Clean).OfType<string>().ToList();
        var text = new StringBuilder();
        var where = summary is null ? string.Empty : $", in the daily summary {Code(summary)}";
        text.Append(Status(c) == NotCovered
            ? $"No collector gathers evidence for {Clean(c.Id)} ({Clean(c.Name)}), so no check ran on it on {date}: the daily coverage test reports it NOT COVERED{where}."
            : $"The collectors' automated checks gave {Clean(c.Id)} ({Clean(c.Name)}) the status {Status(c)} on {date}{where}.");
        if (streams.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" Evidence streams: {string.Join(", ", streams.Select(Code))}.");
        }

        if (c.Findings.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" Check findings: {c.Findings.Count}.");
        }

        return text.ToString();
    }

    private static string FindingDescription(OscalCriterion c, string date)
    {
        var blocks = new List<string> { $"{Clean(c.Id)} ({Md(Clean(c.Name) ?? string.Empty)}) on {date}: {Status(c)}." };
        var reasons = c.Reasons.Select(Line).OfType<string>().ToList();
        if (reasons.Count > 0)
        {
            blocks.Add("Reasons:\n\n" + string.Join("\n", reasons.Select(r => "- " + Md(r))));
        }

        if (c.Findings.Count > 0)
        {
            blocks.Add(string.Create(CultureInfo.InvariantCulture, $"Check findings ({c.Findings.Count}):\n\n") + string.Join("\n", c.Findings.Select(f =>
            {
                var parts = new List<string> { $"check {Code(f.Check.Trim())}" };
                if (Line(f.Title) is { } title)
                {
                    parts[0] += $" \"{Md(title)}\"";
                }

                if (Line(f.Severity) is { } severity)
                {
                    parts.Add($"severity {severity}");
                }

                if (Line(f.Item) is { } item)
                {
                    parts.Add($"item {Code(item)}");
                }

                if (Line(f.Stream) is { } stream)
                {
                    parts.Add($"stream {Code(stream)}");
                }

                parts.Add(Line(f.Manifest) is { } manifest ? $"manifest {Code(manifest)}" : "no manifest");
                if (Line(f.RecordId) is { } record)
                {
                    parts.Add($"record {Code(record)}");
                }

                return "- " + string.Join("; ", parts);
            })));
        }
        else if (Status(c) == Pass)
        {
            blocks.Add("No check found a violation.");
        }

        return string.Join("\n\n", blocks);
    }

    private static void WriteResource(Utf8JsonWriter w, OscalManifest m, string uuid, string? source)
    {
        var stream = Line(m.Stream);
        w.WriteStartObject();
        w.WriteString("uuid", uuid);
        w.WriteString("title", m.Name);
        w.WriteString("description", string.Create(
            CultureInfo.InvariantCulture,
            $"Evidence manifest of stream {(stream is null ? "(none)" : Code(stream))} for {Timestamp(m.WindowStart)} to {Timestamp(m.WindowEnd)}: {m.Records} records. The first rlink is the manifest blob, the second its content blob; the content's hash is of its compressed bytes, the uncompressed-sha256 prop of the bytes inside. Blob names are relative to {(source is null ? "the evidence container" : source)}."));
        w.WriteStartArray("props");
        WriteProp(w, "stream", stream);
        WriteProp(w, "window-start", Timestamp(m.WindowStart));
        WriteProp(w, "window-end", Timestamp(m.WindowEnd));
        WriteProp(w, "records", m.Records.ToString(CultureInfo.InvariantCulture));
        WriteProp(w, "uncompressed-sha256", Hex(m.UncompressedSha256));
        w.WriteEndArray();
        w.WriteStartArray("rlinks");
        WriteRlink(w, m.Name, "application/json", Hex(m.ManifestSha256));
        if (Clean(m.ContentBlob) is { } content)
        {
            WriteRlink(w, content, content.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? "application/gzip" : null, Hex(m.CompressedSha256));
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRlink(Utf8JsonWriter w, string blob, string? mediaType, string? sha256)
    {
        w.WriteStartObject();
        w.WriteString("href", BlobHref(blob));
        if (mediaType is not null)
        {
            w.WriteString("media-type", mediaType);
        }

        if (sha256 is not null)
        {
            w.WriteStartArray("hashes");
            w.WriteStartObject();
            w.WriteString("algorithm", "SHA-256");
            w.WriteString("value", sha256);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteProp(Utf8JsonWriter w, string name, string? value)
    {
        if (Line(value) is not { } v)
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("ns", PropNamespace);
        w.WriteString("value", v);
        w.WriteEndObject();
    }

    /// <summary>A criterion id as an OSCAL token, lower-cased: "CC6.1" → "cc6.1".</summary>
    internal static string ControlId(string criterion)
    {
        var text = new StringBuilder();
        foreach (var ch in (criterion ?? string.Empty).Trim().ToLowerInvariant())
        {
            text.Append(char.IsLetterOrDigit(ch) || ch is '.' or '-' or '_' ? ch : '-');
        }

        if (text.Length == 0 || !(char.IsLetter(text[0]) || text[0] == '_'))
        {
            text.Insert(0, '_');
        }

        return text.ToString();
    }

    /// <summary>SHA-256 of the name, first 16 bytes, with the RFC 4122 version (5) and variant bits set.</summary>
    internal static string DeterministicUuid(string name)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes("collectors/oscal-ar/" + name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(hash[..16]);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    private static string Status(OscalCriterion c) => Line(c.Status)?.ToUpperInvariant() ?? Error;

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>UTC with a Z; fractions of a second only when there are any.</summary>
    private static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>Trimmed, or null when empty.</summary>
    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>One line (whitespace runs become one space), trimmed, or null when empty: OSCAL's string type.</summary>
    private static string? Line(string? value) =>
        Clean(value) is { } v ? string.Join(' ', v.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : null;

    private static string? Hex(string? value) => Line(value)?.ToLowerInvariant();

    /// <summary>Markdown code span (the descriptions are OSCAL markup-multiline).</summary>
    private static string Code(string value)
    {
        // A fence one backtick longer than the longest run inside the value (CommonMark code spans).
        int longest = 0, run = 0;
        foreach (var ch in value)
        {
            run = ch == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', longest + 1);
        return longest == 0 ? $"`{value}`" : $"{fence} {value} {fence}";
    }

    /// <summary>Text from the evidence inside markup-multiline: Markdown's active characters escaped, so a record cannot add links, images or HTML.</summary>
    private static string Md(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        foreach (var ch in value)
        {
            if (ch is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '#' or '|' or '!' or '{' or '}')
            {
                text.Append('\\');
            }

            text.Append(ch);
        }

        return text.ToString();
    }

    /// <summary>A blob name as a relative URI reference: each path segment percent-encoded.</summary>
    private static string BlobHref(string blob) => string.Join('/', blob.Split('/').Select(Uri.EscapeDataString));

    /// <summary>The container URL without query or fragment: a SAS never reaches the document.</summary>
    private static string? WithoutQuery(string? url)
    {
        if (Clean(url) is not { } u)
        {
            return null;
        }

        var cut = u.IndexOfAny(['?', '#']);
        return Clean(cut < 0 ? u : u[..cut]);
    }
}
