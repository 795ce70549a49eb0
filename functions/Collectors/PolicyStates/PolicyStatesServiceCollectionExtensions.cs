using Collectors.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.PolicyStates;

public static class PolicyStatesServiceCollectionExtensions
{
    public static IServiceCollection AddPolicyStatesCollector(this IServiceCollection services)
    {
        services.AddEventIngestion();
        services.AddSingleton<IEventRoute, PolicyStateEventRoute>();
        services.AddSingleton<PolicyStateChecks>();
        return services;
    }
}
