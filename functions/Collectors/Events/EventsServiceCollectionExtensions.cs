using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Events;

internal static class EventsServiceCollectionExtensions
{
    /// <summary>The event handler and its options; each stream that takes events adds its <see cref="IEventRoute"/> beside it.</summary>
    public static IServiceCollection AddEventIngestion(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(EventIngestionHandler)))
        {
            return services;
        }

        services.AddOptions<EventsOptions>().BindConfiguration(EventsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EventsOptions>, EventsOptionsValidator>();
        services.AddSingleton<EventIngestionHandler>();

        // Resolved only by the queue-triggered functions: the CLI has no AzureWebJobsStorage and never asks for it.
        services.AddSingleton(sp => new QueuedEventProcessor(
            sp.GetRequiredService<EventIngestionHandler>(),
            EventQueueConnection.Create(sp.GetRequiredService<IConfiguration>(), () => sp.GetRequiredService<TokenCredential>()),
            sp.GetRequiredService<IOptions<EventsOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<QueuedEventProcessor>>()));
        return services;
    }
}
