using Collectors.Evidence;
using Collectors.Runtime;
using Microsoft.Extensions.Options;

namespace Collectors.Entra.DirectoryAudits;

/// <summary>Entra directory audits (user lifecycle, role and group changes, invitations) from v1.0, one stream for the tenant.</summary>
internal sealed class EntraDirectoryAuditsCollector(EntraAuditLogs logs, IOptionsMonitor<AuditLogOptions> options) : IWindowedCollector
{
    public const string Id = "entra-directory-audits";

    public static readonly AuditLogSource Source = new("tenant", Id, "v1.0", "directoryAudits", "activityDateTime", null, string.Empty);

    string ICollector.Id => Id;

    public Task<IReadOnlyList<CollectorStream>> StreamsAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken) => logs.StreamsAsync([Source], only, cancellationToken);

    public Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken) => logs.StreamAsync([Source], key, cancellationToken);

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CollectorStream stream, TimeWindow window, SourceLog log, CancellationToken cancellationToken) =>
        logs.ReadAsync(Source, window, options.Get(Id).PageSize, log, cancellationToken);
}
