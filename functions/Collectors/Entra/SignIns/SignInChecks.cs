using System.Globalization;
using System.Text.Json;
using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.Entra.SignIns;

/// <summary>CC6.1 checks over committed sign-in evidence.</summary>
internal sealed class SignInChecks
{
    public const string SingleFactor = "single-factor-sign-in";
    public const string LegacyAuthentication = "legacy-authentication";
    public const string HighRisk = "high-risk-sign-in";
    public const string UnknownRequirement = "authentication-requirement-unknown";

    /// <summary>clientAppUsed values of legacy (basic) authentication protocols.</summary>
    public static readonly IReadOnlySet<string> LegacyClients = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Exchange ActiveSync", "IMAP4", "IMAP", "POP3", "POP", "SMTP", "Authenticated SMTP", "MAPI Over HTTP", "Offline Address Book",
        "Exchange Web Services", "AutoDiscover", "Exchange Online PowerShell", "Outlook Anywhere (RPC over HTTP)", "Reporting Web Services",
        "Universal Outlook", "Other clients",
    };

    public async Task<IReadOnlyList<Finding>> EvaluateAsync(string stream, IAsyncEnumerable<EvidenceRecord> records, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        long unknown = 0;
        string? unknownManifest = null;
        await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(record.Json);
            var root = document.RootElement;
            var id = Text(root, "id");
            var user = Text(root, "userPrincipalName") is { Length: > 0 } upn ? upn : Text(root, "servicePrincipalName") ?? Text(root, "appDisplayName");
            var app = Text(root, "appDisplayName");
            var client = Text(root, "clientAppUsed");
            var succeeded = root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object
                && status.TryGetProperty("errorCode", out var code) && code.ValueKind == JsonValueKind.Number && code.GetInt32() == 0;
            DateTimeOffset? at = DateTimeOffset.TryParse(Text(root, "createdDateTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) ? parsed : null;
            var interactive = root.TryGetProperty("isInteractive", out var i) && i.ValueKind == JsonValueKind.True;
            var item = $"{user} to {app} via {client} from {Text(root, "ipAddress")}";
            Dictionary<string, string> details() => new()
            {
                ["user"] = user ?? string.Empty,
                ["app"] = app ?? string.Empty,
                ["clientAppUsed"] = client ?? string.Empty,
                ["ipAddress"] = Text(root, "ipAddress") ?? string.Empty,
                ["succeeded"] = succeeded ? "true" : "false",
            };

            var requirement = Text(root, "authenticationRequirement");
            if (succeeded && interactive)
            {
                if (requirement is null)
                {
                    unknown++;
                    unknownManifest ??= record.Manifest;
                }
                else if (requirement.Equals("singleFactorAuthentication", StringComparison.OrdinalIgnoreCase))
                {
                    findings.Add(new Finding(SingleFactor, "CC6.1", Severity.High, "Sign-in with a single factor", item, stream, record.Manifest, id, at, details()));
                }
            }

            if (client is not null && LegacyClients.Contains(client))
            {
                findings.Add(new Finding(LegacyAuthentication, "CC6.1", succeeded ? Severity.High : Severity.Low,
                    succeeded ? "Successful sign-in over legacy authentication" : "Blocked sign-in attempt over legacy authentication", item, stream, record.Manifest, id, at, details()));
            }

            if (string.Equals(Text(root, "riskLevelDuringSignIn"), "high", StringComparison.OrdinalIgnoreCase) || string.Equals(Text(root, "riskLevelAggregated"), "high", StringComparison.OrdinalIgnoreCase))
            {
                findings.Add(new Finding(HighRisk, "CC6.1", Severity.High, succeeded ? "High-risk sign-in succeeded" : "High-risk sign-in attempt", item, stream, record.Manifest, id, at, details()));
            }
        }

        if (unknown > 0)
        {
            findings.Add(new Finding(UnknownRequirement, "CC6.1", Severity.Info, "Sign-ins without authenticationRequirement: MFA cannot be judged",
                string.Create(CultureInfo.InvariantCulture, $"{unknown} successful interactive sign-in(s) carry no authenticationRequirement"), stream, unknownManifest, null, null,
                new Dictionary<string, string> { ["count"] = unknown.ToString(CultureInfo.InvariantCulture) }));
        }

        return findings;
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
