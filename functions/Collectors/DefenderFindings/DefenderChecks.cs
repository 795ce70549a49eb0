using System.Globalization;
using System.Text.Json;
using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.DefenderFindings;

/// <summary>
/// Judges committed Defender snapshots: the newest snapshot of a stream against the one before it.
/// Reads only the store (fetching and judging are separate); every finding names the snapshot manifest
/// and the row's id.
/// </summary>
internal sealed class DefenderChecks(int slaDays = 30, double secureScoreDropPoints = 1.0)
{
    public const string NewHighUnhealthy = "new-high-unhealthy";
    public const string HighUnhealthyPastSla = "high-unhealthy-past-sla";
    public const string ActiveHighAlert = "active-high-alert";
    public const string SecureScoreDrop = "secure-score-drop";
    public const string NoAssessments = "no-assessments";

    /// <summary>How far back the snapshot before the newest is looked for.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(7);

    public int SlaDays => slaDays;

    public double SecureScoreDropPoints => secureScoreDropPoints;

    /// <summary>Judges the newest snapshot of the stream taken before <paramref name="asOf"/> against the one before it (none: a baseline, nothing is "new").</summary>
    public async Task<IReadOnlyList<Finding>> EvaluateLatestAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var snapshots = new List<CommittedManifest>();
        await foreach (var manifest in reader.ManifestsAsync(stream, asOf - Lookback, asOf, cancellationToken).ConfigureAwait(false))
        {
            if (manifest.Manifest.Kind == "window")
            {
                snapshots.Add(manifest);
            }
        }

        if (snapshots.Count == 0)
        {
            return [];
        }

        var previous = snapshots.Count > 1 ? await ReadAsync(reader, snapshots[^2], cancellationToken).ConfigureAwait(false) : null;
        var current = await ReadAsync(reader, snapshots[^1], cancellationToken).ConfigureAwait(false);
        return Evaluate(stream.Name, current, previous);
    }

    /// <summary>Compares two snapshots already read (previous null: the first snapshot).</summary>
    public IReadOnlyList<Finding> Evaluate(string stream, Snapshot current, Snapshot? previous)
    {
        var findings = new List<Finding>();
        var at = current.TakenAt;
        if (current.Assessments.Count == 0)
        {
            findings.Add(new Finding(NoAssessments, "CC7.1", Severity.High, "The snapshot holds no Defender for Cloud assessments",
                $"{stream}: 0 assessments", stream, current.Manifest, null, at,
                new Dictionary<string, string> { ["hint"] = "Enable Defender for Cloud (at least the free foundational CSPM) and grant the identity Security Reader or Reader on the scope." }));
        }

        foreach (var a in current.Assessments.Values.Where(a => a.IsHighUnhealthy).OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            if (previous is not null && !(previous.Assessments.TryGetValue(a.Id, out var before) && before.IsHighUnhealthy))
            {
                findings.Add(new Finding(NewHighUnhealthy, "CC7.1", Severity.High, "New unhealthy high-severity assessment",
                    $"{a.DisplayName} on {a.ResourceId}", stream, current.Manifest, a.Id, a.Since ?? at,
                    Details(a, ("previousStatus", previous.Assessments.TryGetValue(a.Id, out var p) ? p.Status : "absent"))));
            }

            if (a.Since is { } since && (at - since).TotalDays > slaDays)
            {
                var days = (int)Math.Floor((at - since).TotalDays);
                findings.Add(new Finding(HighUnhealthyPastSla, "CC7.1", Severity.High, "Unhealthy high-severity assessment past its remediation SLA",
                    string.Create(CultureInfo.InvariantCulture, $"{a.DisplayName} on {a.ResourceId}: unhealthy for {days} days (SLA {slaDays})"), stream, current.Manifest, a.Id, since,
                    Details(a, ("ageDays", days.ToString(CultureInfo.InvariantCulture)), ("slaDays", slaDays.ToString(CultureInfo.InvariantCulture)))));
            }
        }

        foreach (var alert in current.Alerts.Where(a => a.IsOpen && a.Severity.Equals("High", StringComparison.OrdinalIgnoreCase)).OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            findings.Add(new Finding(ActiveHighAlert, "CC6.8", Severity.High, "Open high-severity security alert",
                $"{alert.DisplayName} on {alert.ResourceId} ({alert.Status})", stream, current.Manifest, alert.Id, alert.GeneratedAt,
                new Dictionary<string, string> { ["alert"] = alert.DisplayName, ["resourceId"] = alert.ResourceId, ["status"] = alert.Status, ["severity"] = alert.Severity }));
        }

        if (previous is not null)
        {
            foreach (var (id, score) in current.SecureScores.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (previous.SecureScores.TryGetValue(id, out var before) && before - score > secureScoreDropPoints)
                {
                    findings.Add(new Finding(SecureScoreDrop, "CC3.2", Severity.Medium, "Secure score dropped",
                        string.Create(CultureInfo.InvariantCulture, $"{id}: {before:0.##} → {score:0.##} ({score - before:0.##} points, threshold {secureScoreDropPoints:0.##})"),
                        stream, current.Manifest, id, at,
                        new Dictionary<string, string>
                        {
                            ["previous"] = before.ToString(CultureInfo.InvariantCulture),
                            ["current"] = score.ToString(CultureInfo.InvariantCulture),
                            ["previousManifest"] = previous.Manifest,
                        }));
                }
            }
        }

        return findings;
    }

    /// <summary>Reads the rows of one snapshot the checks need (re-hashing the content as it reads).</summary>
    public static async Task<Snapshot> ReadAsync(EvidenceReader reader, CommittedManifest manifest, CancellationToken cancellationToken)
    {
        var assessments = new Dictionary<string, AssessmentView>(StringComparer.OrdinalIgnoreCase);
        var alerts = new List<AlertView>();
        var scores = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(record.Json);
            var row = document.RootElement;
            if (row.ValueKind != JsonValueKind.Object || Text(row, "id") is not { Length: > 0 } id)
            {
                continue;
            }

            var type = Text(row, "type") ?? string.Empty;
            if (type.Equals(DefenderQueries.AssessmentType, StringComparison.OrdinalIgnoreCase))
            {
                assessments[id] = AssessmentView.From(id, row);
            }
            else if (type.Equals(DefenderQueries.AlertType, StringComparison.OrdinalIgnoreCase))
            {
                alerts.Add(AlertView.From(id, row));
            }
            else if (type.Equals(DefenderQueries.SecureScoreType, StringComparison.OrdinalIgnoreCase)
                && Get(row, "properties", "score", "current") is { ValueKind: JsonValueKind.Number } current)
            {
                scores[id] = current.GetDouble();
            }
        }

        return new Snapshot(manifest.Name, manifest.Manifest.CollectedAt.End, assessments, alerts, scores);
    }

    private static Dictionary<string, string> Details(AssessmentView a, params (string Key, string Value)[] extra)
    {
        var details = new Dictionary<string, string>
        {
            ["resourceId"] = a.ResourceId,
            ["assessment"] = a.DisplayName,
            ["severity"] = a.Severity,
            ["status"] = a.Status,
            ["since"] = a.Since is { } s ? TimeWindow.Iso(s) : string.Empty,
        };
        foreach (var (key, value) in extra)
        {
            details[key] = value;
        }

        return details;
    }

    /// <summary>A property by path, names compared without case (Defender has used both camelCase and PascalCase).</summary>
    internal static JsonElement? Get(JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            JsonElement? found = null;
            foreach (var property in current.EnumerateObject())
            {
                if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    found = property.Value;
                    if (property.Name.Equals(name, StringComparison.Ordinal))
                    {
                        break;
                    }
                }
            }

            if (found is not { } next)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    internal static string? Text(JsonElement element, params string[] path) =>
        Get(element, path) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    internal static DateTimeOffset? Time(JsonElement element, params string[] path) =>
        Text(element, path) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value) ? value : null;

    /// <summary>What the checks keep of one snapshot.</summary>
    public sealed record Snapshot(string Manifest, DateTimeOffset TakenAt, IReadOnlyDictionary<string, AssessmentView> Assessments, IReadOnlyList<AlertView> Alerts, IReadOnlyDictionary<string, double> SecureScores);

    /// <summary>An assessment row: status, severity, the assessed resource and since when it has had its status.</summary>
    public sealed record AssessmentView(string Id, string Status, string Severity, string DisplayName, string ResourceId, DateTimeOffset? Since)
    {
        public bool IsHighUnhealthy => Status.Equals("Unhealthy", StringComparison.OrdinalIgnoreCase) && Severity.Equals("High", StringComparison.OrdinalIgnoreCase);

        public static AssessmentView From(string id, JsonElement row)
        {
            var marker = id.IndexOf("/providers/Microsoft.Security/assessments/", StringComparison.OrdinalIgnoreCase);
            var resourceId = Text(row, "properties", "resourceDetails", "id")
                ?? Text(row, "properties", "resourceDetails", "resourceId")
                ?? Text(row, "properties", "resourceDetails", "azureResourceId")
                ?? (marker > 0 ? id[..marker] : id);
            return new AssessmentView(
                id,
                Text(row, "properties", "status", "code") ?? string.Empty,
                Text(row, "properties", "metadata", "severity") ?? Text(row, "properties", "severity") ?? string.Empty,
                Text(row, "properties", "displayName") ?? Text(row, "properties", "metadata", "displayName") ?? Text(row, "name") ?? id,
                resourceId,
                Time(row, "properties", "status", "statusChangeDate") ?? Time(row, "properties", "status", "firstEvaluationDate"));
        }
    }

    /// <summary>An alert row.</summary>
    public sealed record AlertView(string Id, string Status, string Severity, string DisplayName, string ResourceId, DateTimeOffset? GeneratedAt)
    {
        public bool IsOpen => Status.Equals("Active", StringComparison.OrdinalIgnoreCase) || Status.Equals("InProgress", StringComparison.OrdinalIgnoreCase);

        public static AlertView From(string id, JsonElement row)
        {
            string? resource = null;
            if (Get(row, "properties", "resourceIdentifiers") is { ValueKind: JsonValueKind.Array } identifiers)
            {
                resource = identifiers.EnumerateArray().Select(i => Text(i, "azureResourceId")).FirstOrDefault(r => r is not null);
            }

            return new AlertView(
                id,
                Text(row, "properties", "status") ?? string.Empty,
                Text(row, "properties", "severity") ?? string.Empty,
                Text(row, "properties", "alertDisplayName") ?? Text(row, "properties", "alertType") ?? Text(row, "name") ?? id,
                resource ?? Text(row, "properties", "compromisedEntity") ?? string.Empty,
                Time(row, "properties", "timeGeneratedUtc") ?? Time(row, "properties", "startTimeUtc"));
        }
    }
}
