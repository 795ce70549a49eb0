using Collectors.Events;
using Collectors.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.PolicyStates;

internal static class PolicyStatesServiceCollectionExtensions
{
    public static IServiceCollection AddPolicyStatesCollector(this IServiceCollection services)
    {
        services.AddEventIngestion();
        services.AddEventCollector<PolicyStatesEventRoute>();
        services.AddSingleton<PolicyStateChecks>();
        services.AddSingleton<Catalog.ICollectorChecks>(sp => new Catalog.EvidenceChecks(PolicyStatesEventRoute.Id, (reader, stream, from, to, ct) => sp.GetRequiredService<PolicyStateChecks>().EvaluateAsync(reader, stream, from, to, ct)));
        return services;
    }
}
