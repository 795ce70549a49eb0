using System.Text.RegularExpressions;
using Collectors.Arm;

namespace Collectors.DefenderFindings;

/// <summary>
/// The Resource Graph queries of one snapshot, over <c>securityresources</c>. Each projects <c>id</c>
/// (Resource Graph returns no $skipToken otherwise) and orders by it (without an order, pages are not
/// repeatable). Rows keep the table's columns as returned; nothing is summarised.
/// </summary>
internal static partial class DefenderQueries
{
    public const string Assessments = "assessments";
    public const string Alerts = "alerts";
    public const string SecureScores = "secureScores";
    public const string RegulatoryCompliance = "regulatoryCompliance";

    public const string AssessmentType = "microsoft.security/assessments";
    public const string AlertType = "microsoft.security/locations/alerts";
    public const string SecureScoreType = "microsoft.security/securescores";
    public const string SecureScoreControlType = "microsoft.security/securescores/securescorecontrols";
    public const string StandardType = "microsoft.security/regulatorycompliancestandards";
    public const string ControlType = "microsoft.security/regulatorycompliancestandards/regulatorycompliancecontrols";
    public const string ComplianceAssessmentType = "microsoft.security/regulatorycompliancestandards/regulatorycompliancecontrols/regulatorycomplianceassessments";

    private const string Columns = "| project id, name, type, tenantId, subscriptionId, resourceGroup, location, properties\n| order by id asc";

    /// <summary>The snapshot's queries, in the order they run, for a scope (null subscriptions: the tenant).</summary>
    public static IReadOnlyList<ResourceGraphQuery> For(IReadOnlyList<string>? subscriptions, IReadOnlyList<string> standards, int top) =>
    [
        new(Assessments, AssessmentsText, subscriptions, top),
        new(Alerts, AlertsText, subscriptions, top),
        new(SecureScores, SecureScoresText, subscriptions, top),
        new(RegulatoryCompliance, RegulatoryComplianceText(standards), subscriptions, top),
    ];

    /// <summary>Every assessment, whatever its status (Healthy, Unhealthy, NotApplicable): the auditor samples from the whole population.</summary>
    public static string AssessmentsText { get; } =
        $"securityresources\n| where type =~ '{AssessmentType}'\n{Columns}";

    /// <summary>Open alerts (Active or InProgress). Alerts have carried both camelCase and PascalCase properties; both are matched.</summary>
    public static string AlertsText { get; } =
        $"securityresources\n| where type =~ '{AlertType}'\n| where tostring(properties.status) in~ ('Active', 'InProgress') or tostring(properties.Status) in~ ('Active', 'InProgress')\n{Columns}";

    /// <summary>The overall secure score of each initiative and the score of each of its controls.</summary>
    public static string SecureScoresText { get; } =
        $"securityresources\n| where type =~ '{SecureScoreType}' or type =~ '{SecureScoreControlType}'\n{Columns}";

    /// <summary>The standard, its controls and their assessments, for the standards whose name starts with one of the prefixes.</summary>
    public static string RegulatoryComplianceText(IReadOnlyList<string> standards)
    {
        if (standards.Count == 0 || standards.Any(s => !IsSafeStandard(s)))
        {
            throw new ArgumentException("Regulatory standard prefixes must be 1–64 letters, digits, '.', '_' or '-'.", nameof(standards));
        }

        var match = string.Join(" or ", standards.Select(s => $"standard startswith '{s}'"));
        return $"securityresources\n| where type =~ '{StandardType}' or type =~ '{ControlType}' or type =~ '{ComplianceAssessmentType}'\n" +
            $"| extend standard = extract(@'(?i)/regulatoryComplianceStandards/([^/]+)', 1, id)\n| where {match}\n{Columns}";
    }

    /// <summary>Standard names go into the query text, so only plain names are allowed (no quotes, no operators).</summary>
    public static bool IsSafeStandard(string value) => SafeStandard().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SafeStandard();
}
