using Collectors.Evidence;
using Collectors.Runtime;
using Microsoft.Extensions.Options;

namespace Collectors.Entra.SignIns;

/// <summary>Entra sign-ins: interactive users from v1.0; optionally the other sign-in event types from beta, each its own stream.</summary>
internal sealed class EntraSignInsCollector(EntraAuditLogs logs, IOptionsMonitor<AuditLogOptions> options) : IWindowedCollector
{
    public const string Id = "entra-signins";

    string ICollector.Id => Id;

    private AuditLogOptions Options => options.Get(Id);

    public IReadOnlyList<AuditLogSource> Sources => SourcesFor(Options);

    public static IReadOnlyList<AuditLogSource> SourcesFor(AuditLogOptions options)
    {
        var sources = new List<AuditLogSource> { new("interactive", Id, "v1.0", "signIns", "createdDateTime", null, string.Empty) };
        if (options.IncludeNonInteractive)
        {
            sources.Add(new("noninteractive", Id, "beta", "signIns", "createdDateTime", "nonInteractiveUser", ".noninteractive"));
            sources.Add(new("serviceprincipal", Id, "beta", "signIns", "createdDateTime", "servicePrincipal", ".serviceprincipal"));
            sources.Add(new("managedidentity", Id, "beta", "signIns", "createdDateTime", "managedIdentity", ".managedidentity"));
        }

        return sources;
    }

    public Task<IReadOnlyList<CollectorStream>> StreamsAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken) => logs.StreamsAsync(Sources, only, cancellationToken);

    public Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken) => logs.StreamAsync(Sources, key, cancellationToken);

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CollectorStream stream, TimeWindow window, SourceLog log, CancellationToken cancellationToken) =>
        logs.ReadAsync(Sources.Single(s => s.Key == stream.Key), window, Options.PageSize, log, cancellationToken);
}
