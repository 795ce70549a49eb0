namespace Collectors.DrTests;

/// <summary>Section <c>Collectors:DrTests</c>.</summary>
internal sealed class DrTestsOptions
{
    public const string SectionName = "Collectors:DrTests";

    /// <summary>The workloads that must be drilled (<c>Collectors__DrTests__Workloads__0__Name</c>, …).</summary>
    public List<DrWorkload> Workloads { get; set; } = [];

    /// <summary>How far an event's times may lie ahead of this host's clock (publishers' clocks drift).</summary>
    public int MaxClockSkewMinutes { get; set; } = 5;
}

/// <summary>A workload with its drill interval and recovery targets (null: the drill's own stated target applies).</summary>
internal sealed class DrWorkload
{
    public string Name { get; set; } = string.Empty;

    public int RequiredIntervalDays { get; set; } = 90;

    public double? RtoMinutes { get; set; }

    public double? RpoMinutes { get; set; }
}
