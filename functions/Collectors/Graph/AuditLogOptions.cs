namespace Collectors.Graph;

/// <summary>Sections <c>Collectors:EntraSignIns</c> and <c>Collectors:EntraDirectoryAudits</c>.</summary>
public sealed class AuditLogOptions
{
    public int WindowMinutes { get; set; } = 60;

    /// <summary>Sign-ins arrive late (minutes to hours): a window is collected two hours after it ends.</summary>
    public int LagMinutes { get; set; } = 120;

    public int MaxWindowsPerRun { get; set; } = 48;

    public int FirstRunLookbackHours { get; set; } = 24;

    /// <summary>30 days with Entra ID P1/P2, 7 without.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>The daily late-arrival sweep over the previous day runs on the first timer run at or after this hour (UTC).</summary>
    public int SweepHourUtc { get; set; } = 6;

    public bool Sweep { get; set; } = true;

    /// <summary>Sign-ins only: also collect non-interactive, service-principal and managed-identity sign-ins (Graph beta, signInEventTypes), each as its own stream.</summary>
    public bool IncludeNonInteractive { get; set; }

    /// <summary>$top; the documented maximum is 1,000.</summary>
    public int PageSize { get; set; } = 1000;
}

/// <summary>Section <c>Collectors:Graph</c>: the reporting APIs' limit, shared by both collectors.</summary>
public sealed class GraphPacingOptions
{
    public int RequestsPerWindow { get; set; } = 5;

    public double WindowSeconds { get; set; } = 10;
}
