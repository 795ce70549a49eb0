namespace Collectors.ActivityLog;

/// <summary>
/// Section <c>Collectors:ActivityLog</c>: what to collect and how to judge it. Its windows (WindowMinutes,
/// LagMinutes, …) are the runtime's <see cref="Runtime.WindowOptions"/>, from the same section, defaults in collector.json.
/// </summary>
internal sealed class ActivityLogOptions
{
    public const string SectionName = "Collectors:ActivityLog";

    /// <summary>Subscription ids to collect; empty means every subscription the identity can read.</summary>
    public List<string> Subscriptions { get; set; } = [];

    /// <summary>Object ids, app ids or UPNs of the identities allowed to change resources (the deployment pipelines).</summary>
    public List<string> ApprovedDeployers { get; set; } = [];

    /// <summary>The evidence storage account's name, watched by the self-protection check. Defaults to the account of Evidence:BlobServiceUri.</summary>
    public string? EvidenceStorageAccountName { get; set; }
}
