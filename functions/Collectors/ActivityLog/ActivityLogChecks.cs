using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.ActivityLog;

/// <summary>
/// Judges committed Activity Log evidence (fetching and judging are separate: checks read only what
/// the store holds). Findings name the control, the item, and the manifest and eventDataId behind it.
/// </summary>
internal sealed class ActivityLogChecks
{
    public const string OutOfBandChange = "out-of-band-change";
    public const string RoleChange = "role-change";
    public const string SelfProtection = "self-protection";
    public const string FailedOperations = "failed-operations";

    private static readonly string[] RoleOperations =
    [
        "microsoft.authorization/roleassignments/write",
        "microsoft.authorization/roleassignments/delete",
        "microsoft.authorization/roledefinitions/write",
        "microsoft.authorization/roledefinitions/delete",
    ];

    private readonly HashSet<string> _approved;
    private readonly string? _evidenceAccountSegment;

    public ActivityLogChecks(IEnumerable<string> approvedDeployers, string? evidenceStorageAccountName)
    {
        _approved = approvedDeployers.Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _evidenceAccountSegment = string.IsNullOrWhiteSpace(evidenceStorageAccountName)
            ? null
            : $"/providers/microsoft.storage/storageaccounts/{evidenceStorageAccountName.Trim().ToLowerInvariant()}";
    }

    /// <summary>Whether the self-protection check knows which account to watch.</summary>
    public bool WatchesEvidenceAccount => _evidenceAccountSegment is not null;

    public async Task<IReadOnlyList<Finding>> EvaluateAsync(string stream, IAsyncEnumerable<EvidenceRecord> records, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        var failedByCaller = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var failed = 0;
        string? firstFailedManifest = null;
        await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var e = ActivityEventView.Parse(record.Json.Span);
            if (!e.IsAdministrative)
            {
                continue;
            }

            var where = (record.Manifest, e.EventDataId);
            if (e.Status.Equals("Failed", StringComparison.OrdinalIgnoreCase))
            {
                failed++;
                failedByCaller[e.Caller] = failedByCaller.GetValueOrDefault(e.Caller) + 1;
                firstFailedManifest ??= record.Manifest;
            }

            var succeeded = e.Status.Equals("Succeeded", StringComparison.OrdinalIgnoreCase);
            var terminal = succeeded || e.Status.Equals("Failed", StringComparison.OrdinalIgnoreCase);
            if (succeeded && e.IsChange && !IsApproved(e))
            {
                findings.Add(new Finding(OutOfBandChange, "CC8.1", Severity.High, "Change made outside the approved deployment pipeline",
                    $"{e.Caller} {e.Operation} {e.ResourceId}", stream, where.Manifest, where.EventDataId, e.Timestamp,
                    Details(e)));
            }

            if (succeeded && RoleOperations.Contains(e.Operation.ToLowerInvariant()))
            {
                findings.Add(new Finding(RoleChange, "CC6.3", Severity.Medium, "Role assignment or definition changed",
                    $"{e.Caller} {e.Operation} {e.ResourceId}", stream, where.Manifest, where.EventDataId, e.Timestamp,
                    Details(e)));
            }

            if (terminal && e.IsChange && _evidenceAccountSegment is not null && TouchesEvidenceAccount(e.ResourceId))
            {
                findings.Add(new Finding(SelfProtection, "CC7.2", Severity.High,
                    succeeded ? "The evidence store's own settings were changed" : "Someone tried to change the evidence store's own settings",
                    $"{e.Caller} {e.Operation} {e.ResourceId} ({e.Status})", stream, where.Manifest, where.EventDataId, e.Timestamp,
                    Details(e)));
            }
        }

        if (failed > 0)
        {
            var top = failedByCaller.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(5).ToList();
            findings.Add(new Finding(FailedOperations, "CC7.2", Severity.Info, "Failed management operations",
                string.Create(CultureInfo.InvariantCulture, $"{failed} failed operation(s); top callers: {string.Join(", ", top.Select(p => $"{p.Key} ({p.Value})"))}"),
                stream, firstFailedManifest, null, null,
                new Dictionary<string, string>
                {
                    ["count"] = failed.ToString(CultureInfo.InvariantCulture),
                    ["topCallers"] = JsonSerializer.Serialize(top.ToDictionary(p => p.Key, p => p.Value)),
                }));
        }

        return findings;
    }

    /// <summary>Evaluates the committed evidence of one stream over [from, to).</summary>
    public async Task<IReadOnlyList<Finding>> EvaluateAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        return await EvaluateAsync(stream.Name, Records(reader, stream, from, to, cancellationToken), cancellationToken).ConfigureAwait(false);

        static async IAsyncEnumerable<EvidenceRecord> Records(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var manifest in reader.ManifestsAsync(stream, from, to, cancellationToken).ConfigureAwait(false))
            {
                await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
                {
                    yield return record;
                }
            }
        }
    }

    private bool IsApproved(ActivityEventView e) =>
        _approved.Contains(e.Caller) || (e.AppId is not null && _approved.Contains(e.AppId)) || (e.ObjectId is not null && _approved.Contains(e.ObjectId));

    private bool TouchesEvidenceAccount(string resourceId)
    {
        var id = resourceId.ToLowerInvariant();
        var at = id.IndexOf(_evidenceAccountSegment!, StringComparison.Ordinal);
        var end = at + _evidenceAccountSegment!.Length;
        return at >= 0 && (end == id.Length || id[end] == '/');
    }

    private static Dictionary<string, string> Details(ActivityEventView e) => new()
    {
        ["caller"] = e.Caller,
        ["operation"] = e.Operation,
        ["status"] = e.Status,
        ["resourceId"] = e.ResourceId,
        ["correlationId"] = e.CorrelationId ?? string.Empty,
    };

    /// <summary>The fields of an Activity Log event the checks look at; tolerant of the shapes real payloads take.</summary>
    private sealed record ActivityEventView(string EventDataId, string Category, string Operation, string Status, string Caller, string? AppId, string? ObjectId, string ResourceId, string? CorrelationId, DateTimeOffset? Timestamp)
    {
        // An event without a category (some published examples) is judged as Administrative: more findings, never fewer.
        public bool IsAdministrative => Category.Length == 0 || Category.Equals("Administrative", StringComparison.OrdinalIgnoreCase);

        public bool IsChange =>
            Operation.EndsWith("/write", StringComparison.OrdinalIgnoreCase)
            || Operation.EndsWith("/delete", StringComparison.OrdinalIgnoreCase)
            || Operation.EndsWith("/action", StringComparison.OrdinalIgnoreCase);

        public static ActivityEventView Parse(ReadOnlySpan<byte> json)
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            string? claim(string name) =>
                root.TryGetProperty("claims", out var claims) && claims.ValueKind == JsonValueKind.Object && claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            DateTimeOffset? stamp = root.TryGetProperty("eventTimestamp", out var t) && t.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) ? parsed : null;
            return new ActivityEventView(
                Text(root, "eventDataId"),
                Value(root, "category"),
                Value(root, "operationName"),
                Value(root, "status"),
                Text(root, "caller"),
                claim("appid"),
                claim("http://schemas.microsoft.com/identity/claims/objectidentifier") ?? claim("oid"),
                Text(root, "resourceId") is { Length: > 0 } rid ? rid : (root.TryGetProperty("authorization", out var auth) && auth.ValueKind == JsonValueKind.Object ? Text(auth, "scope") : string.Empty),
                Text(root, "correlationId"),
                stamp);
        }

        private static string Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty : string.Empty;

        // Localizable fields are {"value","localizedValue"} in the REST API, plain strings in some exports.
        private static string Value(JsonElement element, string name) =>
            !element.TryGetProperty(name, out var v) ? string.Empty
            : v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty
            : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("value", out var inner) && inner.ValueKind == JsonValueKind.String ? inner.GetString() ?? string.Empty
            : string.Empty;
    }
}
