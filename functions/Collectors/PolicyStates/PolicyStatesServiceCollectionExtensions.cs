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
        services.AddSingleton<Catalog.ICollectorChecks>(sp => new Catalog.EvidenceChecks(PolicyStateEventRoute.Id, (reader, stream, from, to, ct) => sp.GetRequiredService<PolicyStateChecks>().EvaluateAsync(reader, stream, from, to, ct)));
        return services;
    }
}
