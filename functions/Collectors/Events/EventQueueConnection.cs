using Azure.Core;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Collectors.Events;

/// <summary>
/// The Storage queues the events arrive on, reached as the Functions host reaches them for the queue trigger:
/// through the runtime storage connection <c>AzureWebJobsStorage</c>. Either a connection string (Azurite,
/// <c>UseDevelopmentStorage=true</c>), or the identity-based settings infra/bicep deploys:
/// <c>AzureWebJobsStorage__queueServiceUri</c> with <c>AzureWebJobsStorage__credential=managedidentity</c> and
/// <c>AzureWebJobsStorage__clientId</c> (without <c>__credential</c>, the app's own credential from <c>Azure__Credential</c>).
/// </summary>
internal static class EventQueueConnection
{
    public const string Setting = "AzureWebJobsStorage";

    public static QueueServiceClient Create(IConfiguration configuration, Func<TokenCredential> appCredential)
    {
        var connectionString = configuration[Setting];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new QueueServiceClient(connectionString);
        }

        var section = configuration.GetSection(Setting);
        if (section["queueServiceUri"] is not { Length: > 0 } text)
        {
            throw new InvalidOperationException(
                $"The event queues' storage is not configured: set {Setting} (a connection string; UseDevelopmentStorage=true for Azurite) or {Setting}__queueServiceUri with {Setting}__credential=managedidentity and {Setting}__clientId, as for the queue trigger.");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
        {
            throw new InvalidOperationException($"{Setting}__queueServiceUri '{text}' must be an absolute https:// URL such as https://<account>.queue.core.windows.net/.");
        }

        var credential = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(new ManagedIdentityCredentialOptions(
                section["clientId"] is { Length: > 0 } clientId ? ManagedIdentityId.FromUserAssignedClientId(clientId) : ManagedIdentityId.SystemAssigned))
            : appCredential();
        return new QueueServiceClient(uri, credential);
    }
}
