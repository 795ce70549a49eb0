namespace Collectors.DrJobs;

/// <summary>
/// Section <c>Collectors:DrJobs</c>: the vaults. Its windows (WindowMinutes, LagMinutes, …) are the runtime's
/// <see cref="Runtime.WindowOptions"/>, defaults in collector.json: the six-hour lag gives a test failover or
/// restore time to finish, because a job is stored as it is when collected and not collected again.
/// </summary>
internal sealed class DrJobsOptions
{
    public const string SectionName = "Collectors:DrJobs";

    /// <summary>Recovery Services vault resource ids (<c>Collectors__DrJobs__Vaults__0</c>, …).</summary>
    public List<string> Vaults { get; set; } = [];
}
