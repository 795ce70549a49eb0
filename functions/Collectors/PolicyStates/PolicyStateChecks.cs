using System.Text.Json;
using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.PolicyStates;

/// <summary>Judges committed policy-state events: resources turning non-compliant.</summary>
internal sealed class PolicyStateChecks
{
    public const string TurnedNonCompliant = "policy-noncompliant";

    /// <summary>The events of the stream whose ordering second lies in [from, to), each event id judged once.</summary>
    public async Task<IReadOnlyList<Finding>> EvaluateAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
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
                var id = Text(e, "id");
                var type = Text(e, "eventType") ?? Text(e, "type") ?? string.Empty;
                if (id is null || !seen.Add(id) || !e.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var turning = type.Equals(PolicyStatesEventRoute.StateChanged, StringComparison.OrdinalIgnoreCase) || type.Equals(PolicyStatesEventRoute.StateCreated, StringComparison.OrdinalIgnoreCase);
                if (!turning || !string.Equals(Text(data, "complianceState"), "NonCompliant", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var resource = Text(e, "subject") ?? string.Empty;
                var assignment = Text(data, "policyAssignmentId") ?? string.Empty;
                findings.Add(new Finding(TurnedNonCompliant, "CC7.1", Severity.Medium, "Resource turned non-compliant with a policy",
                    $"{resource} non-compliant with {assignment}", stream.Name, manifest.Name, id,
                    data.TryGetProperty("timestamp", out var t) ? Events.EventEnvelope.ParseTime(t) : null,
                    new Dictionary<string, string>
                    {
                        ["resourceId"] = resource,
                        ["policyAssignmentId"] = assignment,
                        ["policyDefinitionId"] = Text(data, "policyDefinitionId") ?? string.Empty,
                        ["policyDefinitionReferenceId"] = Text(data, "policyDefinitionReferenceId") ?? string.Empty,
                        ["complianceReasonCode"] = Text(data, "complianceReasonCode") ?? string.Empty,
                        ["eventType"] = type,
                    }));
            }
        }

        return findings;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
