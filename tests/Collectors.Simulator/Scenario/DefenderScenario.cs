using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Collectors.Simulator.Scenario;

/// <summary>Settings of the simulated Defender for Cloud population.</summary>
public sealed record DefenderScenarioOptions
{
    /// <summary>Background assessments per subscription (every status); planted ones come on top.</summary>
    public int AssessmentsPerSubscription { get; init; } = 8_500;

    /// <summary>Open background alerts (medium and low severity) per subscription.</summary>
    public int AlertsPerSubscription { get; init; } = 30;

    /// <summary>The instant the generated dates are relative to (statusChangeDate, alert times): the scenario's "today".</summary>
    public DateTimeOffset Anchor { get; init; } = new(DateTime.UtcNow.Date, TimeSpan.Zero);

    /// <summary>Subscriptions (by index) with the SOC 2 standard enabled in Defender's regulatory compliance.</summary>
    public IReadOnlyList<int> Soc2Subscriptions { get; init; } = [0, 1];

    public bool PlantRegressions { get; init; } = true;
}

/// <summary>One row of Resource Graph's securityresources table, as the simulator serves it.</summary>
public sealed record SecurityRow(string Id, string Type, string SubscriptionId, byte[] Json);

/// <summary>A finding the checks must report for a generation (the planted regressions, and the planted standing problems).</summary>
public sealed record PlantedDefenderFinding(string Check, string SubscriptionId, string RecordId, string Description);

/// <summary>
/// Defender for Cloud's state for the tenant's subscriptions, deterministic from the seed: assessments of
/// every status, open alerts, secure scores and their controls, and SOC 2 regulatory compliance, in the
/// shapes of the published examples. <see cref="Generation"/> is the state now: 0 the first snapshot,
/// 1 with the planted regressions (new unhealthy high assessments, one resolved, a secure-score drop, a
/// new high alert). Tests read the same generator as ground truth.
/// </summary>
public sealed class DefenderScenario
{
    public const string AssessmentType = "microsoft.security/assessments";
    public const string AlertType = "microsoft.security/locations/alerts";
    public const string SecureScoreType = "microsoft.security/securescores";
    public const string SecureScoreControlType = "microsoft.security/securescores/securescorecontrols";
    public const string StandardType = "microsoft.security/regulatorycompliancestandards";
    public const string ControlType = "microsoft.security/regulatorycompliancestandards/regulatorycompliancecontrols";
    public const string ComplianceAssessmentType = "microsoft.security/regulatorycompliancestandards/regulatorycompliancecontrols/regulatorycomplianceassessments";

    public static readonly IReadOnlyList<string> Types = [AssessmentType, AlertType, SecureScoreType, SecureScoreControlType, StandardType, ControlType, ComplianceAssessmentType];

    private static readonly (string Name, string Severity)[] Definitions =
    [
        ("Machines should have vulnerability findings resolved", "High"),
        ("Install endpoint protection solution on virtual machines", "High"),
        ("Storage accounts should restrict network access", "Medium"),
        ("Secure transfer to storage accounts should be enabled", "High"),
        ("Management ports should be closed on your virtual machines", "High"),
        ("System updates should be installed on your machines", "Medium"),
        ("Key vaults should have soft delete enabled", "Medium"),
        ("Diagnostic logs in Key Vault should be enabled", "Low"),
        ("SQL servers should have an Azure Active Directory administrator provisioned", "High"),
        ("Transparent Data Encryption on SQL databases should be enabled", "Low"),
        ("Web Application should only be accessible over HTTPS", "Medium"),
        ("TLS should be updated to the latest version for web apps", "Low"),
        ("Azure Defender for servers should be enabled", "High"),
        ("Virtual machines should encrypt temp disks, caches, and data flows", "High"),
        ("Adaptive application controls should be enabled on your machines", "High"),
        ("Internet-facing virtual machines should be protected with network security groups", "High"),
        ("Subnets should be associated with a network security group", "Low"),
        ("Guest configuration extension should be installed on machines", "Medium"),
        ("Storage account public access should be disallowed", "Medium"),
        ("Private endpoint should be enabled for Key Vault", "Medium"),
    ];

    private static readonly string[] ResourceTypes =
    [
        "Microsoft.Compute/virtualMachines",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.Sql/servers",
        "Microsoft.KeyVault/vaults",
        "Microsoft.Web/sites",
        "Microsoft.Network/networkSecurityGroups",
    ];

    private static readonly string[] ResourceGroups = ["rg-web-prod", "rg-data-prod", "rg-network", "rg-shared", "rg-aks-prod"];

    private static readonly string[] Controls =
    [
        "Remediate vulnerabilities", "Enable endpoint protection", "Secure management ports", "Encrypt data in transit",
        "Restrict unauthorized network access", "Apply system updates", "Enable MFA", "Manage access and permissions",
    ];

    private readonly ConcurrentDictionary<(int Generation, int Subscription), IReadOnlyList<SecurityRow>> _rows = new();
    private readonly TenantScenario _tenant;
    private int _generation;
    private int _truncate;

    public DefenderScenario(TenantScenario tenant, DefenderScenarioOptions options)
    {
        _tenant = tenant;
        Options = options;
    }

    public DefenderScenarioOptions Options { get; }

    /// <summary>The state Resource Graph answers with now.</summary>
    public int Generation { get => Volatile.Read(ref _generation); set => Volatile.Write(ref _generation, value); }

    /// <summary>When set, every first page answers resultTruncated "true" without a $skipToken (a truncated population).</summary>
    public bool TruncateResults { get => Volatile.Read(ref _truncate) != 0; set => Volatile.Write(ref _truncate, value ? 1 : 0); }

    /// <summary>Added to every totalRecords: a count that disagrees with the rows actually served.</summary>
    public int TotalRecordsSkew { get; set; }

    public IReadOnlyList<string> SubscriptionIds => _tenant.SubscriptionIds;

    /// <summary>The rows of the given types for the subscriptions (every subscription when null), ordered by id as `order by id asc` asks.</summary>
    public IReadOnlyList<SecurityRow> Rows(int generation, IReadOnlyCollection<string>? subscriptions, IReadOnlySet<string> types)
    {
        var result = new List<SecurityRow>();
        for (var s = 0; s < SubscriptionIds.Count; s++)
        {
            if (subscriptions is not null && !subscriptions.Contains(SubscriptionIds[s], StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            result.AddRange(Population(generation, s).Where(r => types.Contains(r.Type)));
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return result;
    }

    /// <summary>Ground truth: the ids of one subscription's rows of the types, in a generation.</summary>
    public IReadOnlyList<string> Ids(int generation, string subscriptionId, params string[] types) =>
        [.. Rows(generation, [subscriptionId], types.ToHashSet(StringComparer.Ordinal)).Select(r => r.Id)];

    /// <summary>What the checks must report when the snapshot of <paramref name="generation"/> is judged against the one before it.</summary>
    public IReadOnlyList<PlantedDefenderFinding> ExpectedFindings(int generation)
    {
        if (!Options.PlantRegressions)
        {
            return [];
        }

        var s = SubscriptionIds;
        var expected = new List<PlantedDefenderFinding>
        {
            new("high-unhealthy-past-sla", s[0], AssessmentId(0, Planted.SlaOld45), "unhealthy high for 45 days"),
            new("high-unhealthy-past-sla", s[Math.Min(2, s.Count - 1)], AssessmentId(Math.Min(2, s.Count - 1), Planted.SlaOld90), "unhealthy high for 90 days"),
            new("active-high-alert", s[0], AlertId(0, 0, planted: true), "a standing high alert"),
        };
        if (generation >= 1)
        {
            expected.Add(new("new-high-unhealthy", s[0], AssessmentId(0, Planted.TurnsUnhealthy), "healthy → unhealthy high"));
            expected.Add(new("new-high-unhealthy", s[Math.Min(1, s.Count - 1)], AssessmentId(Math.Min(1, s.Count - 1), Planted.TurnsUnhealthy), "healthy → unhealthy high"));
            expected.Add(new("new-high-unhealthy", s[Math.Min(2, s.Count - 1)], NewAssessmentId(Math.Min(2, s.Count - 1)), "a new resource, unhealthy high"));
            expected.Add(new("active-high-alert", s[Math.Min(2, s.Count - 1)], AlertId(Math.Min(2, s.Count - 1), 1, planted: true), "a new high alert"));
            expected.Add(new("secure-score-drop", s[Math.Min(1, s.Count - 1)], SecureScoreId(Math.Min(1, s.Count - 1)), "secure score −3.5 points"));
        }

        return expected;
    }

    /// <summary>Planted assessments, by index in the subscription's population (each on a high- or medium-severity definition as noted).</summary>
    public static class Planted
    {
        public const int SlaOld45 = (11 * 20) + 0;
        public const int SlaOld90 = (12 * 20) + 1;
        public const int TurnsUnhealthy = (13 * 20) + 3;
        public const int Resolved = (14 * 20) + 4;
        public const int MediumTurnsUnhealthy = (15 * 20) + 2;
    }

    public string SecureScoreId(int subscription) => $"/subscriptions/{SubscriptionIds[subscription]}/providers/Microsoft.Security/secureScores/ascScore";

    public string AssessmentId(int subscription, int index) => $"{ResourceId(subscription, index / Definitions.Length)}/providers/Microsoft.Security/assessments/{DefinitionName(index % Definitions.Length)}";

    public string NewAssessmentId(int subscription) => $"/subscriptions/{SubscriptionIds[subscription]}/resourceGroups/rg-web-prod/providers/Microsoft.Compute/virtualMachines/vm-new-unprotected/providers/Microsoft.Security/assessments/{DefinitionName(0)}";

    public string AlertId(int subscription, int index, bool planted = false) =>
        string.Create(CultureInfo.InvariantCulture, $"/subscriptions/{SubscriptionIds[subscription]}/resourceGroups/{ResourceGroups[index % ResourceGroups.Length]}/providers/Microsoft.Security/locations/centralus/alerts/{(planted ? "2517" : "2518")}{Guid(1000 + (subscription * 1000) + index):N}");

    private IReadOnlyList<SecurityRow> Population(int generation, int subscription)
    {
        var planted = Options.PlantRegressions;
        var key = (Math.Min(generation, 1), subscription);
        return _rows.GetOrAdd(key, k => Generate(planted ? k.Generation : 0, k.Subscription));
    }

    private IReadOnlyList<SecurityRow> Generate(int generation, int s)
    {
        var sub = SubscriptionIds[s];
        var rows = new List<SecurityRow>(Options.AssessmentsPerSubscription + 100);
        var anchor = Options.Anchor;
        var plant = Options.PlantRegressions;
        for (var i = 0; i < Options.AssessmentsPerSubscription; i++)
        {
            var rng = new Random(unchecked((_tenant.Options.Seed * 92_821) + (s * 1_000_003) + i));
            var definition = i % Definitions.Length;
            var x = rng.NextDouble();
            var status = x < 0.62 ? "Healthy" : x < 0.87 ? "Unhealthy" : "NotApplicable";
            var since = status == "Unhealthy" ? anchor.AddDays(-1 - rng.Next(0, 20)).AddMinutes(-rng.Next(0, 1440)) : anchor.AddDays(-1 - rng.Next(0, 200));
            if (plant)
            {
                (status, since) = i switch
                {
                    Planted.SlaOld45 when s == 0 => ("Unhealthy", anchor.AddDays(-45)),
                    Planted.SlaOld90 when s == Math.Min(2, SubscriptionIds.Count - 1) => ("Unhealthy", anchor.AddDays(-90)),
                    Planted.TurnsUnhealthy or Planted.MediumTurnsUnhealthy when s <= 1 => generation == 0 ? ("Healthy", anchor.AddDays(-60)) : ("Unhealthy", anchor.AddHours(-2)),
                    Planted.Resolved when s == Math.Min(1, SubscriptionIds.Count - 1) => generation == 0 ? ("Unhealthy", anchor.AddDays(-3)) : ("Healthy", anchor.AddHours(-3)),
                    _ => (status, since),
                };
            }

            rows.Add(Assessment(sub, AssessmentId(s, i), ResourceId(s, i / Definitions.Length), definition, status, since, anchor.AddDays(-300), rng));
        }

        if (plant && generation >= 1 && s == Math.Min(2, SubscriptionIds.Count - 1))
        {
            var resource = NewAssessmentId(s)[..NewAssessmentId(s).IndexOf("/providers/Microsoft.Security/", StringComparison.Ordinal)];
            rows.Add(Assessment(sub, NewAssessmentId(s), resource, 0, "Unhealthy", anchor.AddHours(-1), anchor.AddHours(-1), new Random(s)));
        }

        for (var a = 0; a < Options.AlertsPerSubscription; a++)
        {
            var rng = new Random(unchecked((_tenant.Options.Seed * 31_337) + (s * 7_919) + a));
            rows.Add(Alert(s, AlertId(s, a), rng.NextDouble() < 0.5 ? "Medium" : "Low", rng.NextDouble() < 0.8 ? "Active" : "InProgress", anchor.AddHours(-rng.Next(1, 24 * 14)), rng));
        }

        if (plant && s == 0)
        {
            rows.Add(Alert(s, AlertId(s, 0, planted: true), "High", "Active", anchor.AddDays(-2), new Random(1)));
        }

        if (plant && generation >= 1 && s == Math.Min(2, SubscriptionIds.Count - 1))
        {
            rows.Add(Alert(s, AlertId(s, 1, planted: true), "High", "Active", anchor.AddHours(-1), new Random(2)));
        }

        var baseScore = 30.0 + (s * 2.25);
        var delta = !plant || generation == 0 ? 0 : s switch { 0 => -0.4, 1 => -3.5, _ => 0.3 };
        rows.Add(SecureScore(s, baseScore + delta));
        for (var c = 0; c < Controls.Length; c++)
        {
            rows.Add(SecureScoreControl(s, c));
        }

        if (Options.Soc2Subscriptions.Contains(s))
        {
            rows.AddRange(RegulatoryCompliance(s));
        }

        rows.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return rows;
    }

    private string ResourceId(int subscription, int resource)
    {
        var type = ResourceTypes[resource % ResourceTypes.Length];
        var group = ResourceGroups[(resource / ResourceTypes.Length) % ResourceGroups.Length];
        var name = string.Create(CultureInfo.InvariantCulture, $"{type[(type.LastIndexOf('/') + 1)..].ToLowerInvariant()[..Math.Min(6, type.Length - type.LastIndexOf('/') - 1)]}{resource:D5}");
        return $"/subscriptions/{SubscriptionIds[subscription]}/resourceGroups/{group}/providers/{type}/{name}";
    }

    private string DefinitionName(int definition) => Guid(500 + definition).ToString();

    private Guid Guid(int n)
    {
        var rng = new Random(unchecked((_tenant.Options.Seed * 7) + (n * 131)));
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string GroupOf(string id)
    {
        var at = id.IndexOf("/resourceGroups/", StringComparison.OrdinalIgnoreCase);
        return at < 0 ? string.Empty : id[(at + 16)..].Split('/')[0].ToLowerInvariant();
    }

    private static SecurityRow Row(string id, string type, string subscription, Action<Utf8JsonWriter> properties)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("name", id[(id.LastIndexOf('/') + 1)..]);
            w.WriteString("type", type);
            w.WriteString("tenantId", Principals.TenantId);
            w.WriteString("subscriptionId", subscription);
            w.WriteString("resourceGroup", GroupOf(id));
            w.WriteString("location", type == AlertType ? "centralus" : string.Empty);
            w.WriteStartObject("properties");
            properties(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return new SecurityRow(id, type, subscription, buffer.WrittenSpan.ToArray());
    }

    // The REST shape of ListAssessments_example.json (resourceDetails, displayName, status), plus what Resource
    // Graph adds: metadata (severity) and the status dates.
    private SecurityRow Assessment(string subscription, string id, string resourceId, int definition, string status, DateTimeOffset since, DateTimeOffset firstEvaluated, Random rng) =>
        Row(id, AssessmentType, subscription, w =>
        {
            w.WriteStartObject("resourceDetails");
            w.WriteString("Source", "Azure");
            w.WriteString("Id", resourceId);
            w.WriteString("ResourceId", resourceId);
            w.WriteEndObject();
            w.WriteString("displayName", Definitions[definition].Name);
            w.WriteStartObject("status");
            w.WriteString("code", status);
            if (status == "NotApplicable")
            {
                w.WriteString("cause", "OffByPolicy");
                w.WriteString("description", "The effective policy for the assessment was evaluated to off - use Microsoft.Authorization/policyAssignments to turn this assessment on");
            }

            w.WriteString("firstEvaluationDate", Stamp(firstEvaluated));
            w.WriteString("statusChangeDate", Stamp(since));
            w.WriteEndObject();
            w.WriteStartObject("metadata");
            w.WriteString("displayName", Definitions[definition].Name);
            w.WriteString("assessmentType", "BuiltIn");
            w.WriteString("severity", Definitions[definition].Severity);
            w.WriteString("implementationEffort", rng.NextDouble() < 0.5 ? "Low" : "Moderate");
            w.WriteString("userImpact", "Low");
            w.WriteStartArray("categories");
            w.WriteStringValue("Compute");
            w.WriteEndArray();
            w.WriteStartArray("threats");
            w.WriteStringValue("dataExfiltration");
            w.WriteEndArray();
            w.WriteString("policyDefinitionId", $"/providers/Microsoft.Authorization/policyDefinitions/{Guid(800 + definition)}");
            w.WriteEndObject();
            w.WriteStartObject("links");
            w.WriteString("azurePortalUri", $"https://portal.azure.com/#blade/Microsoft_Azure_Security/RecommendationsBlade/assessmentKey/{DefinitionName(definition)}");
            w.WriteEndObject();
        });

    private SecurityRow Alert(int s, string id, string severity, string status, DateTimeOffset generated, Random rng)
    {
        var group = ResourceGroups[rng.Next(ResourceGroups.Length)];
        var resource = $"/subscriptions/{SubscriptionIds[s]}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/vm{rng.Next(1, 99):D2}";
        var (type, name) = severity == "High"
            ? ("VM_SuspiciousActivity", "Suspicious process executed on a virtual machine")
            : rng.NextDouble() < 0.5 ? ("VM_AnomalousLogin", "Unusual sign-in to a virtual machine") : ("Storage.Blob_AnonymousAccessAnomaly", "Anonymous access to a storage account");
        return Row(id, AlertType, SubscriptionIds[s], w =>
        {
            w.WriteString("status", status);
            w.WriteString("severity", severity);
            w.WriteString("alertType", type);
            w.WriteString("alertDisplayName", name);
            w.WriteString("systemAlertId", id[(id.LastIndexOf('/') + 1)..]);
            w.WriteString("compromisedEntity", resource[(resource.LastIndexOf('/') + 1)..]);
            w.WriteString("intent", "Execution");
            w.WriteString("productName", "Microsoft Defender for Cloud");
            w.WriteString("vendorName", "Microsoft");
            w.WriteString("description", $"{name}. Review the activity on the resource.");
            w.WriteStartArray("resourceIdentifiers");
            w.WriteStartObject();
            w.WriteString("type", "AzureResource");
            w.WriteString("azureResourceId", resource);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("timeGeneratedUtc", Stamp(generated));
            w.WriteString("startTimeUtc", Stamp(generated.AddMinutes(-5)));
            w.WriteString("endTimeUtc", Stamp(generated));
            w.WriteBoolean("isIncident", false);
        });
    }

    // The shape of ListSecureScores_example.json.
    private SecurityRow SecureScore(int s, double current) =>
        Row(SecureScoreId(s), SecureScoreType, SubscriptionIds[s], w =>
        {
            w.WriteString("displayName", "ASC score");
            w.WriteStartObject("score");
            w.WriteNumber("max", 58);
            w.WriteNumber("current", Math.Round(current, 2));
            w.WriteNumber("percentage", Math.Round(current / 58, 4));
            w.WriteEndObject();
            w.WriteNumber("weight", 120 + s);
        });

    private SecurityRow SecureScoreControl(int s, int c) =>
        Row($"{SecureScoreId(s)}/secureScoreControls/{Guid(900 + c)}", SecureScoreControlType, SubscriptionIds[s], w =>
        {
            w.WriteString("displayName", Controls[c]);
            w.WriteNumber("healthyResourceCount", 10 + c);
            w.WriteNumber("unhealthyResourceCount", 3 + (c % 4));
            w.WriteNumber("notApplicableResourceCount", c % 3);
            w.WriteNumber("weight", 40 + c);
            w.WriteStartObject("score");
            w.WriteNumber("max", 4 + (c % 5));
            w.WriteNumber("current", Math.Round((4 + (c % 5)) * 0.6, 2));
            w.WriteNumber("percentage", 0.6);
            w.WriteEndObject();
            w.WriteStartObject("definition");
            w.WriteString("id", $"/providers/Microsoft.Security/secureScoreControlDefinitions/{Guid(900 + c)}");
            w.WriteString("name", Guid(900 + c).ToString());
            w.WriteStartObject("properties");
            w.WriteString("displayName", Controls[c]);
            w.WriteNumber("maxScore", 4 + (c % 5));
            w.WriteEndObject();
            w.WriteEndObject();
        });

    private IEnumerable<SecurityRow> RegulatoryCompliance(int s)
    {
        var standard = $"/subscriptions/{SubscriptionIds[s]}/providers/Microsoft.Security/regulatoryComplianceStandards/SOC-TSP";
        yield return Row(standard, StandardType, SubscriptionIds[s], w =>
        {
            w.WriteString("state", "Failed");
            w.WriteNumber("passedControls", 3);
            w.WriteNumber("failedControls", 2);
            w.WriteNumber("skippedControls", 0);
            w.WriteNumber("unsupportedControls", 0);
        });
        for (var c = 1; c <= 5; c++)
        {
            var control = string.Create(CultureInfo.InvariantCulture, $"{standard}/regulatoryComplianceControls/CC6.{c}");
            var failed = c > 3;
            yield return Row(control, ControlType, SubscriptionIds[s], w =>
            {
                w.WriteString("description", string.Create(CultureInfo.InvariantCulture, $"Logical and physical access controls CC6.{c}"));
                w.WriteString("state", failed ? "Failed" : "Passed");
                w.WriteNumber("passedAssessments", failed ? 2 : 3);
                w.WriteNumber("failedAssessments", failed ? 1 : 0);
                w.WriteNumber("skippedAssessments", 0);
            });
            for (var a = 0; a < 3; a++)
            {
                var definition = (c * 3) + a;
                yield return Row($"{control}/regulatoryComplianceAssessments/{Guid(500 + (definition % Definitions.Length))}", ComplianceAssessmentType, SubscriptionIds[s], w =>
                {
                    w.WriteString("description", Definitions[definition % Definitions.Length].Name);
                    w.WriteString("assessmentType", "Assessment");
                    w.WriteString("assessmentDetailsLink", $"https://management.azure.com/subscriptions/{SubscriptionIds[s]}/providers/Microsoft.Security/assessments/{DefinitionName(definition % Definitions.Length)}");
                    w.WriteString("state", failed && a == 0 ? "Failed" : "Passed");
                    w.WriteNumber("passedResources", 12);
                    w.WriteNumber("failedResources", failed && a == 0 ? 2 : 0);
                    w.WriteNumber("skippedResources", 0);
                    w.WriteNumber("unsupportedResources", 0);
                });
            }
        }
    }
}
