using Azure.Core;
using Collectors.Evidence;
using Collectors.Runtime;
using Microsoft.Extensions.Options;

namespace Collectors.Entra;

/// <summary>
/// What the two Entra collectors share: the Graph reporting client (paced), the tenant (from the Graph
/// token's tid claim, naming every stream), and reading one window of one audit-log source.
/// </summary>
internal sealed class EntraAuditLogs(GraphReportingClient client, TokenCredential credential, IOptions<Configuration.AzureOptions> azure)
{
    private string? _tenantId;

    public GraphReportingClient Client => client;

    /// <summary>The tenant, from the Graph token's tid claim (the stream scope).</summary>
    public async Task<string> TenantIdAsync(CancellationToken cancellationToken)
    {
        if (_tenantId is not null)
        {
            return _tenantId;
        }

        var audience = azure.Value.ResolveCloud().Graph;
        var token = await credential.GetTokenAsync(new TokenRequestContext([$"{audience.GetLeftPart(UriPartial.Authority)}/.default"]), cancellationToken).ConfigureAwait(false);
        var tid = EvidenceStore.ReadClaims(token.Token).GetValueOrDefault("tid");
        return _tenantId = tid is { Length: > 0 } ? tid : throw new EvidenceSourceException("The Graph access token names no tenant (tid claim); set Azure__TenantId or use a work-account credential.");
    }

    /// <summary>The streams of some sources (all, or those whose key <paramref name="only"/> names).</summary>
    public async Task<IReadOnlyList<CollectorStream>> StreamsAsync(IReadOnlyList<AuditLogSource> sources, IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var tenant = await TenantIdAsync(cancellationToken).ConfigureAwait(false);
        if (only is { Count: > 0 } && only.FirstOrDefault(k => sources.All(s => s.Key != k)) is { } unknown)
        {
            throw new ArgumentException($"'{unknown}' is not a source of this collector; its sources are {string.Join(", ", sources.Select(s => s.Key))}.");
        }

        return [.. sources.Where(s => only is not { Count: > 0 } || only.Contains(s.Key)).Select(s => new CollectorStream(s.StreamFor(tenant), s.Key))];
    }

    public async Task<CollectorStream> StreamAsync(IReadOnlyList<AuditLogSource> sources, string key, CancellationToken cancellationToken) =>
        (await StreamsAsync(sources, [key], cancellationToken).ConfigureAwait(false)).Single();

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(AuditLogSource source, TimeWindow window, int pageSize, SourceLog log, CancellationToken cancellationToken)
    {
        var url = source.Url(client.Endpoint, window, Math.Clamp(pageSize, 1, 1000));
        log.AddRequest(new SourceRequest("GET", url.GetLeftPart(UriPartial.Path), source.Version, source.Filter(window)));
        return client.ReadAsync(url, log, failure => Explain(source, failure), cancellationToken);
    }

    internal static EvidenceSourceException Explain(AuditLogSource source, GraphFailure failure)
    {
        var path = $"/{source.Version}/auditLogs/{source.Resource}";
        var licence = string.Equals(failure.Code, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", StringComparison.OrdinalIgnoreCase)
            || failure.Message.Contains("premium license", StringComparison.OrdinalIgnoreCase);
        return failure.Status switch
        {
            403 when licence => new EvidenceSourceException(
                $"Graph returned 403 {failure.Code} for {path}: the tenant has no Microsoft Entra ID P1 or P2 licence, which reading sign-in logs through the API requires. See README#permissions. Graph said: {failure.Message}",
                403, failure.Code),
            _ => Arm.SourceFailure.Explain("Graph", path, failure.Status, failure.Code, failure.Message,
                "the app needs the AuditLog.Read.All application permission with admin consent (the postprovision hook grants it; see README#permissions)"),
        };
    }
}
