using Collectors.Catalog;
using Collectors.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Collectors.Runtime;

/// <summary>A collector registered with this deployment: its collector.json.</summary>
public sealed record RegisteredCollector(CollectorDescriptor Descriptor);

/// <summary>
/// The one line that adds a collector: its metadata comes from the collector.json in its folder, a windowed
/// collector's window options are bound from its settings section over those defaults and validated at start-up,
/// and the catalog, the runtime, the CLI (<c>collectors list</c>, <c>collectors run &lt;id&gt;</c>) and the daily
/// summary pick it up.
/// </summary>
public static class CollectorRegistration
{
    /// <summary>Adds a windowed or snapshot collector (and its collector.json) to the catalog and the runtime.</summary>
    public static IServiceCollection AddCollector<TCollector>(this IServiceCollection services)
        where TCollector : class, ICollector
    {
        var descriptor = CollectorDescriptor.For(typeof(TCollector));
        services.AddSingleton(new RegisteredCollector(descriptor));
        services.TryAddSingleton<TCollector>();
        services.AddSingleton<ICollector>(sp => sp.GetRequiredService<TCollector>());
        if (typeof(ICollectorChecks).IsAssignableFrom(typeof(TCollector)))
        {
            // A collector that judges its own evidence is its checks too (the daily summary runs them).
            services.AddSingleton(sp => (ICollectorChecks)sp.GetRequiredService<TCollector>());
        }
        if (descriptor.Kind == CollectorDescriptor.Windowed)
        {
            services.AddOptions<WindowOptions>(descriptor.Id).Configure(o => o.ApplyDefaults(descriptor)).BindConfiguration(descriptor.SettingsSection!).ValidateOnStart();
            services.AddSingleton<IValidateOptions<WindowOptions>>(new WindowOptionsValidator(descriptor));
        }

        return services;
    }

    /// <summary>Adds a collector and binds its own options from its settings section (collector.json's <c>settingsSection</c>).</summary>
    public static IServiceCollection AddCollector<TCollector, TOptions>(this IServiceCollection services)
        where TCollector : class, ICollector
        where TOptions : class
    {
        var descriptor = CollectorDescriptor.For(typeof(TCollector));
        services.AddOptions<TOptions>().BindConfiguration(descriptor.SettingsSection
            ?? throw new InvalidOperationException($"{descriptor.Folder}/collector.json names no settingsSection for {typeof(TOptions).Name}."));
        return services.AddCollector<TCollector>();
    }

    /// <summary>Adds an event collector: its route (which event types go to its stream) and its collector.json.</summary>
    public static IServiceCollection AddEventCollector<TRoute>(this IServiceCollection services)
        where TRoute : class, IEventRoute
    {
        services.AddSingleton(new RegisteredCollector(CollectorDescriptor.For(typeof(TRoute))));
        services.AddSingleton<IEventRoute, TRoute>();
        return services;
    }

    /// <summary>The catalog of every registered collector.</summary>
    public static CollectorCatalog Catalog(IServiceProvider services) => new(services.GetServices<RegisteredCollector>().Select(r => r.Descriptor));
}
