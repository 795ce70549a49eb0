using System.Text.Json;
using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.DrJobs;

/// <summary>Judges committed vault jobs: test failovers and restores that failed, or never completed within the collection lag.</summary>
internal sealed class DrJobChecks
{
    public const string Failed = "dr-job-failed";
    public const string Incomplete = "dr-job-incomplete";

    public async Task<IReadOnlyList<Finding>> EvaluateAsync(string stream, IAsyncEnumerable<EvidenceRecord> records, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(record.Json);
            var root = document.RootElement;
            if (!root.TryGetProperty("properties", out var p) || p.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var id = Text(root, "id") ?? Text(root, "name") ?? string.Empty;
            var scenario = Text(p, "scenarioName");
            var isReplication = scenario is not null;
            var state = (isReplication ? Text(p, "state") : Text(p, "status")) ?? string.Empty;
            var what = isReplication ? $"Site Recovery {scenario} of {Text(p, "targetObjectName") ?? Text(p, "friendlyName") ?? "?"}" : $"Backup restore of {Text(p, "entityFriendlyName") ?? "?"}";
            var at = Text(p, "startTime") is { } s && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var t) ? t : (DateTimeOffset?)null;
            var details = new Dictionary<string, string>
            {
                ["jobId"] = id,
                ["kind"] = isReplication ? "replicationJob" : "backupJob",
                ["operation"] = scenario ?? Text(p, "operation") ?? string.Empty,
                ["state"] = state,
                ["startTime"] = Text(p, "startTime") ?? string.Empty,
                ["endTime"] = Text(p, "endTime") ?? string.Empty,
            };

            if (state.Equals("Failed", StringComparison.OrdinalIgnoreCase))
            {
                findings.Add(new Finding(Failed, "A1.3", Severity.High, "A DR test job failed", $"{what}: {state}", stream, record.Manifest, id, at, details));
            }
            else if (!IsSuccess(state))
            {
                findings.Add(new Finding(Incomplete, "A1.3", Severity.Medium, "A DR test job never completed", $"{what}: {(state.Length == 0 ? "no state" : state)} when collected", stream, record.Manifest, id, at, details));
            }
        }

        return findings;
    }

    // Site Recovery says Succeeded; Backup says Completed or CompletedWithWarnings.
    private static bool IsSuccess(string state) =>
        state.Equals("Succeeded", StringComparison.OrdinalIgnoreCase)
        || state.Equals("Completed", StringComparison.OrdinalIgnoreCase)
        || state.Equals("CompletedWithWarnings", StringComparison.OrdinalIgnoreCase);

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
