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

    /// <summary>
    /// Microsoft documents 3 to 20 minutes between an event and its appearance in the Activity Log, so a
    /// window is collected 20 minutes after it ends; events later than that are caught by the daily sweep.
    /// </summary>
    public int LagMinutes { get; set; } = 20;

    /// <summary>The daily late-arrival sweep of the previous day: supplements for events published after their window was collected.</summary>
    public bool Sweep { get; set; } = true;

    /// <summary>The sweep runs on the first timer run at or after this hour (UTC).</summary>
    public int SweepHourUtc { get; set; } = 6;

    public int MaxWindowsPerRun { get; set; } = 96;

    /// <summary>How far back a subscription with no evidence yet starts on its first scheduled run.</summary>
    public int FirstRunLookbackHours { get; set; } = 24;

    public int MaxParallelSubscriptions { get; set; } = 4;

    /// <summary>Azure keeps the Activity Log for 90 days.</summary>
    public const int RetentionDays = 90;
}
