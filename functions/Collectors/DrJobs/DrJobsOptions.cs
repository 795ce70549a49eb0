namespace Collectors.DrJobs;

/// <summary>Section <c>Collectors:DrJobs</c>.</summary>
public sealed class DrJobsOptions
{
    public const string SectionName = "Collectors:DrJobs";

    /// <summary>Recovery Services vault resource ids (<c>Collectors__DrJobs__Vaults__0</c>, …).</summary>
    public List<string> Vaults { get; set; } = [];

    public int WindowMinutes { get; set; } = 60;

    /// <summary>
    /// A window is collected this long after it ends. Jobs are stored as they are at collection time and not
    /// collected again, so the lag gives a test failover or restore time to finish; one still running after it
    /// is reported as never completed.
    /// </summary>
    public int LagMinutes { get; set; } = 360;

    public int MaxWindowsPerRun { get; set; } = 48;

    public int FirstRunLookbackHours { get; set; } = 24;
}
