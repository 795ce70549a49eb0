using Azure.Core;
using Collectors.ActivityLog;
using Collectors.Arm;
using Collectors.Configuration;
using Collectors.Catalog;
using Collectors.DefenderFindings;
using Collectors.DrJobs;
using Collectors.DrTests;
using Collectors.PolicyStates;
using Collectors.Evidence;
using Collectors.Entra;
using Collectors.Events;
using Collectors.Runtime;
using Collectors.Signing;
using Collectors.Summary;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors;

/// <summary>The composition of the collector library; the Functions app and the CLI both call it.</summary>
public static class CollectorsHostBuilderExtensions
{
    public static IHostApplicationBuilder AddCollectors(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EvidenceOptions>().BindConfiguration(EvidenceOptions.SectionName).ValidateOnStart();
        services.AddOptions<AzureOptions>().BindConfiguration(AzureOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EvidenceOptions>, EvidenceOptionsValidator>();
        services.AddSingleton<IValidateOptions<AzureOptions>, AzureOptionsValidator>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var azure = sp.GetRequiredService<IOptions<AzureOptions>>().Value;
            var evidence = sp.GetRequiredService<IOptions<EvidenceOptions>>().Value;
            var endpoints = new List<Uri> { azure.ResolveResourceManagerEndpoint(), azure.ResolveGraphEndpoint() };
            if (evidence.BlobServiceUri is not null)
            {
                endpoints.Add(evidence.BlobServiceUri);
            }

            if (evidence.SigningKeyId is not null)
            {
                endpoints.Add(evidence.SigningKeyId);
            }

            return CredentialFactory.Create(azure, endpoints);
        });
        services.AddSingleton(sp => EvidenceStoreConnection.Create(
            sp.GetRequiredService<IOptions<EvidenceOptions>>().Value,
            sp.GetRequiredService<IOptions<AzureOptions>>().Value,
            _ => sp.GetRequiredService<TokenCredential>()));
        services.AddSingleton(sp => new EvidenceStore(
            sp.GetRequiredService<EvidenceStoreConnection>(),
            sp.GetRequiredService<IOptions<EvidenceOptions>>().Value,
            sp.GetRequiredService<ILogger<EvidenceStore>>()));
        services.AddSingleton(sp =>
        {
            var connection = sp.GetRequiredService<EvidenceStoreConnection>();
            return new CheckpointStore(
                connection.State ?? throw new EvidenceStoreConfigurationException("Checkpoints need the state container; a container SAS connection is read-only."),
                connection.Evidence,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<CheckpointStore>());
        });
        services.AddSingleton<IEvidenceSigner>(sp =>
        {
            var evidence = sp.GetRequiredService<IOptions<EvidenceOptions>>().Value;
            var connection = sp.GetRequiredService<EvidenceStoreConnection>();
            return EvidenceSigners.Create(evidence, sp.GetRequiredService<IOptions<AzureOptions>>().Value, connection, sp.GetRequiredService<TokenCredential>());
        });
        services.AddSingleton<EvidenceSealer>();
        services.AddSingleton<EvidenceWriter>();
        services.AddSingleton(sp => new EvidenceReader(sp.GetRequiredService<EvidenceStoreConnection>().Evidence, sp.GetRequiredService<EvidenceSealer>().Check));
        services.AddSingleton(sp => new ArmRestClient(
            sp.GetRequiredService<IOptions<AzureOptions>>().Value,
            sp.GetRequiredService<TokenCredential>(),
            sp.GetRequiredService<ILogger<ArmRestClient>>()));

        // The late-arrival sweep, shared by the windowed collectors whose sources publish late.
        services.AddSingleton(sp => new SweepLedger(sp.GetRequiredService<EvidenceStoreConnection>().State
            ?? throw new EvidenceStoreConfigurationException("The late-arrival sweep needs the state container; a container SAS connection is read-only.")));
        services.AddSingleton<LateArrivalSweep>();

        // The runtime every collector runs on, its catalog, and the work queue it fans out through (when the
        // app has one: the Functions app does; the CLI runs work items in-process).
        services.AddSingleton(CollectorRegistration.Catalog);
        if (builder.Configuration[WorkQueue.Setting] is { Length: > 0 } workQueue)
        {
            services.AddSingleton(sp => new WorkQueue(EventQueueConnection.Create(sp.GetRequiredService<IConfiguration>(), () => sp.GetRequiredService<TokenCredential>()).GetQueueClient(workQueue)));
        }

        services.AddSingleton(sp => new CollectorRuntime(
            sp.GetRequiredService<CollectorCatalog>(),
            sp.GetServices<ICollector>(),
            sp.GetRequiredService<EvidenceWriter>(),
            sp.GetRequiredService<LateArrivalSweep>(),
            sp.GetRequiredService<IOptionsMonitor<WindowOptions>>(),
            sp.GetService<WorkQueue>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<CollectorRuntime>>(),
            sp.GetRequiredService<EvidenceStoreConnection>().State));

        // One line per collector.
        services.AddActivityLogCollector();
        services.AddDefenderFindingsCollector();
        services.AddPolicyStatesCollector();
        services.AddDrTestsCollector();
        services.AddDrJobsCollector();
        services.AddEntra();
        services.AddEntraSignInsCollector();
        services.AddEntraDirectoryAuditsCollector();

        services.AddDailySummary();
        services.AddSingleton(sp => new Collectors.Auditors.AuditorAccess(
            sp.GetRequiredService<EvidenceStore>(),
            sp.GetRequiredService<EvidenceWriter>(),
            sp.GetRequiredService<EvidenceReader>(),
            () => sp.GetRequiredService<ArmRestClient>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<Collectors.Auditors.AuditorAccess>>()));
        return builder;
    }
}
