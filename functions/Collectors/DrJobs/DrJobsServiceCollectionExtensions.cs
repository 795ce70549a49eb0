using Collectors.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.DrJobs;

internal static class DrJobsServiceCollectionExtensions
{
    public static IServiceCollection AddDrJobsCollector(this IServiceCollection services)
    {
        services.AddOptions<DrJobsOptions>().BindConfiguration(DrJobsOptions.SectionName);
        services.AddSingleton<DrJobsClient>();
        services.AddCollector<DrJobsCollector>();
        services.AddSingleton<DrJobChecks>();
        services.AddSingleton<Catalog.ICollectorChecks>(sp => new Catalog.RecordChecks(DrJobsCollector.Id, (stream, records, ct) => sp.GetRequiredService<DrJobChecks>().EvaluateAsync(stream, records, ct)));
        return services;
    }
}
