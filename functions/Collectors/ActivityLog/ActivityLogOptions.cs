namespace Collectors.ActivityLog;

/// <summary>Section <c>Collectors:ActivityLog</c>.</summary>
public sealed class ActivityLogOptions
{
    public const string SectionName = "Collectors:ActivityLog";

    /// <summary>Subscription ids to collect; empty means every subscription the identity can read.</summary>
    public List<string> Subscriptions { get; set; } = [];

    /// <summary>Object ids, app ids or UPNs of the identities allowed to change resources (the deployment pipelines).</summary>
    public List<string> ApprovedDeployers { get; set; } = [];

    /// <summary>The evidence storage account's name, watched by the self-protection check. Defaults to the account of Evidence:BlobServiceUri.</summary>
    public string? EvidenceStorageAccountName { get; set; }

    public int WindowMinutes { get; set; } = 15;

    public int LagMinutes { get; set; } = 20;

    public int MaxWindowsPerRun { get; set; } = 96;

    /// <summary>How far back a subscription with no evidence yet starts on its first scheduled run.</summary>
    public int FirstRunLookbackHours { get; set; } = 24;

    public int MaxParallelSubscriptions { get; set; } = 4;

    /// <summary>Azure keeps the Activity Log for 90 days.</summary>
    public const int RetentionDays = 90;
}
