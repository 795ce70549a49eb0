using System.Globalization;
using System.Text.Json;
using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.Entra.DirectoryAudits;

/// <summary>CC6.2 / CC6.3 checks over committed directory-audit evidence.</summary>
internal sealed class DirectoryAuditChecks
{
    public const string PrivilegedRole = "privileged-role-assignment";
    public const string UserLifecycle = "user-lifecycle";
    public const string GuestInvitation = "guest-invitation";

    private static readonly HashSet<string> RoleActivities = new(StringComparer.OrdinalIgnoreCase)
    {
        "Add member to role", "Add eligible member to role", "Add scoped member to role", "Add member to role completed (PIM activation)", "Add member to role in PIM completed (permanent)",
    };

    /// <summary>Built-in roles that can change identities, access or the tenant's security.</summary>
    public static readonly IReadOnlySet<string> PrivilegedRoles = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Global Administrator", "Company Administrator", "Privileged Role Administrator", "Privileged Authentication Administrator", "Security Administrator",
        "User Administrator", "Exchange Administrator", "SharePoint Administrator", "Application Administrator", "Cloud Application Administrator",
        "Conditional Access Administrator", "Authentication Administrator", "Hybrid Identity Administrator", "Intune Administrator",
        "Groups Administrator", "Helpdesk Administrator", "Password Administrator", "Authentication Policy Administrator", "Domain Name Administrator",
    };

    private static readonly HashSet<string> LifecycleActivities = new(StringComparer.OrdinalIgnoreCase)
    {
        "Add user", "Delete user", "Hard delete user", "Disable account", "Restore user",
    };

    public async Task<IReadOnlyList<Finding>> EvaluateAsync(string stream, IAsyncEnumerable<EvidenceRecord> records, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        await foreach (var record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(record.Json);
            var root = document.RootElement;
            if (!string.Equals(Text(root, "result"), "success", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var activity = Text(root, "activityDisplayName") ?? string.Empty;
            var id = Text(root, "id");
            DateTimeOffset? at = DateTimeOffset.TryParse(Text(root, "activityDateTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) ? parsed : null;
            var actor = Actor(root);
            var target = Targets(root).FirstOrDefault(t => !string.Equals(t.Type, "Role", StringComparison.OrdinalIgnoreCase));
            var targetName = target.Upn ?? target.Name ?? target.Id ?? "(unknown)";
            var details = new Dictionary<string, string> { ["activity"] = activity, ["initiatedBy"] = actor, ["target"] = targetName };

            if (RoleActivities.Contains(activity) && RoleName(root) is { } role && PrivilegedRoles.Contains(role))
            {
                details["role"] = role;
                findings.Add(new Finding(PrivilegedRole, "CC6.3", Severity.High, $"Privileged role assigned: {role}", $"{actor} gave {targetName} the role {role}", stream, record.Manifest, id, at, details));
            }
            else if (LifecycleActivities.Contains(activity) || (activity.Equals("Update user", StringComparison.OrdinalIgnoreCase) && DisablesAccount(root)))
            {
                findings.Add(new Finding(UserLifecycle, "CC6.2", Severity.Info, $"User lifecycle: {activity}", $"{actor}: {activity} {targetName}", stream, record.Manifest, id, at, details));
            }
            else if (activity.Equals("Invite external user", StringComparison.OrdinalIgnoreCase))
            {
                findings.Add(new Finding(GuestInvitation, "CC6.2", Severity.Low, "Guest invited", $"{actor} invited {targetName}", stream, record.Manifest, id, at, details));
            }
        }

        return findings;
    }

    private static string Actor(JsonElement root)
    {
        if (root.TryGetProperty("initiatedBy", out var by) && by.ValueKind == JsonValueKind.Object)
        {
            if (by.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object)
            {
                return Text(user, "userPrincipalName") ?? Text(user, "displayName") ?? Text(user, "id") ?? "(unknown user)";
            }

            if (by.TryGetProperty("app", out var app) && app.ValueKind == JsonValueKind.Object)
            {
                return Text(app, "displayName") ?? Text(app, "appId") ?? "(unknown app)";
            }
        }

        return "(unknown)";
    }

    private readonly record struct Target(string? Id, string? Name, string? Upn, string? Type, JsonElement Element);

    private static IEnumerable<Target> Targets(JsonElement root)
    {
        if (!root.TryGetProperty("targetResources", out var targets) || targets.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var t in targets.EnumerateArray())
        {
            // The published example spells the key "Type"; the API documents "type".
            yield return new Target(Text(t, "id"), Text(t, "displayName"), Text(t, "userPrincipalName"), Text(t, "type") ?? Text(t, "Type"), t);
        }
    }

    private static string? RoleName(JsonElement root)
    {
        foreach (var target in Targets(root))
        {
            if (string.Equals(target.Type, "Role", StringComparison.OrdinalIgnoreCase) && target.Name is { Length: > 0 } name)
            {
                return name;
            }

            foreach (var (property, _, newValue) in Modified(target.Element))
            {
                if (property is "Role.DisplayName" && newValue is { Length: > 0 } value)
                {
                    return value.Trim().Trim('"');
                }
            }
        }

        return null;
    }

    private static bool DisablesAccount(JsonElement root) =>
        Targets(root).SelectMany(t => Modified(t.Element)).Any(m => m.Name == "AccountEnabled" && (m.New ?? string.Empty).Contains("false", StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<(string? Name, string? Old, string? New)> Modified(JsonElement target)
    {
        if (!target.TryGetProperty("modifiedProperties", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var m in list.EnumerateArray())
        {
            yield return (Text(m, "displayName"), Text(m, "oldValue"), Text(m, "newValue"));
        }
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
