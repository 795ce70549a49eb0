using Collectors.Graph;

namespace Collectors.EntraSignIns;

/// <summary>Entra sign-ins: interactive users from v1.0; optionally the other sign-in event types from beta, each its own stream.</summary>
public sealed class EntraSignInsCollector(AuditLogCollector collector)
{
    public const string Id = "entra-signins";

    public static readonly IReadOnlyList<string> Criteria = ["CC6.1"];

    public AuditLogCollector Collector => collector;

    public static IReadOnlyList<AuditLogSource> Sources(AuditLogOptions options)
    {
        var sources = new List<AuditLogSource> { new(Id, Criteria, "v1.0", "signIns", "createdDateTime", null, string.Empty) };
        if (options.IncludeNonInteractive)
        {
            sources.Add(new(Id, Criteria, "beta", "signIns", "createdDateTime", "nonInteractiveUser", ".noninteractive"));
            sources.Add(new(Id, Criteria, "beta", "signIns", "createdDateTime", "servicePrincipal", ".serviceprincipal"));
            sources.Add(new(Id, Criteria, "beta", "signIns", "createdDateTime", "managedIdentity", ".managedidentity"));
        }

        return sources;
    }
}
