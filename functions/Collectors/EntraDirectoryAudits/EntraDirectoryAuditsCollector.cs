using Collectors.Graph;

namespace Collectors.EntraDirectoryAudits;

/// <summary>Entra directory audits (user lifecycle, role and group changes, invitations) from v1.0.</summary>
public sealed class EntraDirectoryAuditsCollector(AuditLogCollector collector)
{
    public const string Id = "entra-directory-audits";

    public static readonly IReadOnlyList<string> Criteria = ["CC6.2", "CC6.3"];

    public static readonly AuditLogSource Source = new(Id, Criteria, "v1.0", "directoryAudits", "activityDateTime", null, string.Empty);

    public AuditLogCollector Collector => collector;
}
