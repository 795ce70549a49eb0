using Azure.Core;
using Collectors.Catalog;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Entra;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Summary;

internal static class SummaryServiceCollectionExtensions
{
    public static IServiceCollection AddDailySummary(this IServiceCollection services)
    {
        services.AddOptions<SummaryOptions>().BindConfiguration(SummaryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SummaryOptions>, SummaryOptionsValidator>();
        services.AddSingleton(sp => new DailySummaryBuilder(
            sp.GetRequiredService<EvidenceReader>(),
            sp.GetRequiredService<CollectorCatalog>(),
            sp.GetServices<ICollectorChecks>(),
            sp.GetRequiredService<EvidenceStoreConnection>().IsEmulator,
            sp.GetRequiredService<TimeProvider>(),
            // Coverage counts the windows exactly as the collectors run them (their settings, not only collector.json).
            id => sp.GetRequiredService<Runtime.CollectorRuntime>() is var runtime && runtime.Scheduled.Contains(id) ? runtime.Grid(id) : null));
        services.AddSingleton(sp =>
        {
            var graph = new Lazy<Microsoft.Graph.GraphServiceClient>(() => GraphReportingClient.CreateGraphClient(
                sp.GetRequiredService<IOptions<AzureOptions>>().Value, sp.GetRequiredService<TokenCredential>()));
            return new DailySummaryService(
                sp.GetRequiredService<DailySummaryBuilder>(),
                sp.GetRequiredService<EvidenceWriter>(),
                sp.GetRequiredService<EvidenceReader>(),
                sp.GetRequiredService<EvidenceStoreConnection>().State ?? throw new EvidenceStoreConfigurationException("The summary needs the state container; a container SAS connection is read-only."),
                () => graph.Value,
                sp.GetRequiredService<IOptions<SummaryOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<DailySummaryService>>());
        });
        return services;
    }
}
