using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collectors.Events;

public static class EventsServiceCollectionExtensions
{
    /// <summary>The event handler; each stream that takes events adds its <see cref="IEventRoute"/> beside it.</summary>
    public static IServiceCollection AddEventIngestion(this IServiceCollection services)
    {
        services.TryAddSingleton<EventIngestionHandler>();
        return services;
    }
}
