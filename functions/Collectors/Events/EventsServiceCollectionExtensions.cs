using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Collectors.Events;

public static class EventsServiceCollectionExtensions
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
        return services;
    }
}
