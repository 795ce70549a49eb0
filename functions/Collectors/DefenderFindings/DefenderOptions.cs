namespace Collectors.DefenderFindings;

/// <summary>Section <c>Collectors:DefenderFindings</c>.</summary>
internal sealed class DefenderOptions
{
    public const string SectionName = "Collectors:DefenderFindings";

    /// <summary>Subscription ids, one stream each; empty means one stream for the whole tenant (every subscription the identity can read).</summary>
    public List<string> Subscriptions { get; set; } = [];

    /// <summary>Names the tenant stream (<c>defender-findings/tenant-&lt;id&gt;</c>); defaults to the tenant of the identity's ARM token.</summary>
    public string? TenantId { get; set; }

    /// <summary>The snapshot grid: a snapshot is labelled by the window of this size (aligned to midnight UTC) that contains the moment it was taken.</summary>
    public int SnapshotHours { get; set; }

    /// <summary>
    /// Prefixes of the Defender regulatory-compliance standard names to keep (case-insensitive); empty means
    /// <c>SOC</c>, which matches SOC-TSP, SOC-2 and the other SOC standards. (A default list here would be
    /// appended to, not replaced, by configured items.)
    /// </summary>
    public List<string> RegulatoryStandards { get; set; } = [];

    public IReadOnlyList<string> EffectiveRegulatoryStandards => RegulatoryStandards.Count > 0 ? RegulatoryStandards : ["SOC"];

    /// <summary>Rows per Resource Graph page ($top): 1–1000.</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Streams collected at once. Resource Graph's quota is per identity, so few is kinder.</summary>
    public int MaxParallelScopes { get; set; } = 2;

    /// <summary>Unhealthy high-severity assessments older than this many days are findings.</summary>
    public int SlaDays { get; set; } = 30;

    /// <summary>A secure score falling by more than this many points between snapshots is a finding.</summary>
    public double SecureScoreDropPoints { get; set; } = 1.0;
}
