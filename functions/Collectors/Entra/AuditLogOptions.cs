namespace Collectors.Entra;

/// <summary>
/// Sections <c>Collectors:EntraSignIns</c> and <c>Collectors:EntraDirectoryAudits</c> (named options, by collector id).
/// Their windows (WindowMinutes, LagMinutes, RetentionDays: 30 with Entra ID P1/P2, 7 without, …) are the
/// runtime's <see cref="Runtime.WindowOptions"/>, from the same sections, defaults in collector.json.
/// </summary>
internal sealed class AuditLogOptions
{
    /// <summary>Sign-ins only: also collect non-interactive, service-principal and managed-identity sign-ins (Graph beta, signInEventTypes), each as its own stream.</summary>
    public bool IncludeNonInteractive { get; set; }

    /// <summary>$top; the documented maximum is 1,000.</summary>
    public int PageSize { get; set; } = 1000;
}

/// <summary>Section <c>Collectors:Graph</c>: the reporting APIs' limit, shared by both collectors.</summary>
internal sealed class GraphPacingOptions
{
    public int RequestsPerWindow { get; set; } = 5;

    public double WindowSeconds { get; set; } = 10;
}
