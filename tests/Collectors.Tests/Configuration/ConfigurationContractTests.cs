using Azure.Core;
using Collectors.Configuration;
using Collectors.Evidence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Collectors.Tests.Configuration;

[TestClass]
public sealed class ConfigurationContractTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCollectors();
        return builder.Build();
    }

    private static async Task<string> StartupFailureAsync(Dictionary<string, string?> settings)
    {
        using var host = Build(settings);
        // One failing section throws OptionsValidationException; several throw an AggregateException of them.
        var ex = await Assert.ThrowsAsync<Exception>(() => host.StartAsync());
        var failures = ex is AggregateException aggregate ? aggregate.InnerExceptions : [ex];
        Assert.IsTrue(failures.All(f => f is OptionsValidationException), ex.ToString());
        return string.Join(Environment.NewLine, failures.Select(f => f.Message));
    }

    [TestMethod]
    public async Task StartsWithTheDocumentedDefaults()
    {
        using var host = Build(new() { ["Evidence:ConnectionString"] = "UseDevelopmentStorage=true" });
        await host.StartAsync();

        var evidence = host.Services.GetRequiredService<IOptions<EvidenceOptions>>().Value;
        var azure = host.Services.GetRequiredService<IOptions<AzureOptions>>().Value;
        Assert.AreEqual("evidence", evidence.Container);
        Assert.AreEqual("collector-state", evidence.StateContainer);
        Assert.IsNull(evidence.RequireImmutability, "unset means: required, except on the emulator");
        Assert.AreEqual("AzurePublicCloud", azure.Cloud);
        Assert.AreEqual(CredentialKind.Default, azure.Credential);
        Assert.AreEqual(new Uri("https://management.azure.com/"), azure.ResolveResourceManagerEndpoint());
        Assert.IsTrue(host.Services.GetRequiredService<EvidenceStoreConnection>().IsEmulator);
        var events = host.Services.GetRequiredService<IOptions<Collectors.Events.EventsOptions>>().Value;
        Assert.AreEqual(24, events.MaxEventAgeHours);
        Assert.AreEqual(24, events.MaxFutureHours);
        await host.StopAsync();
    }

    [TestMethod]
    public async Task RefusesToStartWithoutAnEvidenceStore()
    {
        var message = await StartupFailureAsync([]);

        StringAssert.Contains(message, "Evidence__BlobServiceUri");
    }

    [TestMethod]
    public async Task RefusesToWriteOutsideTheEmulatorWithoutASigningKey()
    {
        var missing = await StartupFailureAsync(new() { ["Evidence:BlobServiceUri"] = "https://stevidence.blob.core.windows.net/" });
        var notAKey = await StartupFailureAsync(new()
        {
            ["Evidence:BlobServiceUri"] = "https://stevidence.blob.core.windows.net/",
            ["Evidence:SigningKeyId"] = "https://kv-collectors.vault.azure.net/secrets/evidence-signing",
        });

        StringAssert.Contains(missing, "Evidence__SigningKeyId is not set");
        StringAssert.Contains(notAKey, "is not a Key Vault key URL");
        Assert.AreEqual("https://vault.usgovcloudapi.net/.default", Collectors.Signing.KeyVaultSigner.Scope(new Uri("https://kv.vault.usgovcloudapi.net/")), "the token audience follows the vault's cloud");
    }

    [TestMethod]
    public async Task NamesEveryBadSettingAtStartup()
    {
        var message = await StartupFailureAsync(new()
        {
            ["Evidence:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Evidence:Container"] = "Evidence_Bad",
            ["Evidence:StateContainer"] = "Evidence_Bad",
            ["Azure:Cloud"] = "AzureMoonCloud",
        });

        StringAssert.Contains(message, "Evidence__Container 'Evidence_Bad' is not a valid container name");
        StringAssert.Contains(message, "must differ");
        StringAssert.Contains(message, "Azure__Cloud 'AzureMoonCloud' is not known");
    }

    [TestMethod]
    public async Task SovereignCloudsAndEndpointOverridesResolve()
    {
        using var host = Build(new()
        {
            ["Evidence:BlobServiceUri"] = "https://stevidence.blob.core.usgovcloudapi.net/",
            ["Evidence:SigningKeyId"] = "https://kv-collectors.vault.usgovcloudapi.net/keys/evidence-signing",
            ["Azure:Cloud"] = "AzureUSGovernment",
            ["Azure:GraphEndpoint"] = "https://graph.microsoft.us/",
            ["Azure:Credential"] = "AzureCli",
        });
        await host.StartAsync();

        var azure = host.Services.GetRequiredService<IOptions<AzureOptions>>().Value;
        Assert.AreEqual(new Uri("https://management.usgovcloudapi.net/"), azure.ResolveResourceManagerEndpoint());
        Assert.AreEqual(new Uri("https://graph.microsoft.us/"), azure.ResolveGraphEndpoint());
        Assert.IsFalse(host.Services.GetRequiredService<EvidenceStoreConnection>().IsEmulator);
        await host.StopAsync();
    }

    [TestMethod]
    public async Task TheSimulatorCredentialIsRefusedForAnyEndpointOffLoopback()
    {
        var message = await StartupFailureAsync(new()
        {
            ["Evidence:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Azure:Credential"] = "Simulator",
            ["Azure:ResourceManagerEndpoint"] = "https://127.0.0.1:8443/",
        });
        StringAssert.Contains(message, "https://graph.microsoft.com/");

        var blobOffLoopback = Assert.ThrowsExactly<InvalidOperationException>(() => CredentialFactory.Create(
            new AzureOptions { Credential = CredentialKind.Simulator, ResourceManagerEndpoint = new Uri("https://127.0.0.1:1/"), GraphEndpoint = new Uri("https://127.0.0.1:2/") },
            [new Uri("https://stevidence.blob.core.windows.net/")]));
        StringAssert.Contains(blobOffLoopback.Message, "stevidence.blob.core.windows.net");

        var allowed = CredentialFactory.Create(
            new AzureOptions { Credential = CredentialKind.Simulator },
            [new Uri("https://127.0.0.1:1/"), new Uri("https://localhost:2/")]);
        var token = await allowed.GetTokenAsync(new TokenRequestContext(["https://storage.azure.com/.default"]), CancellationToken.None);
        var claims = EvidenceStore.ReadClaims(token.Token);
        Assert.AreEqual("https://storage.azure.com", claims["aud"]);
        Assert.AreEqual(SimulatorCredential.ObjectId, claims["oid"]);
    }

    [TestMethod]
    public async Task EventLimitsOutOfRangeAreStartupErrors()
    {
        var message = await StartupFailureAsync(new()
        {
            ["Evidence:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Collectors:Events:MaxEventAgeHours"] = "0",
            ["Collectors:Events:MaxFutureHours"] = "-1",
            ["Collectors:Events:RequeueMinDelaySeconds"] = "90",
            ["Collectors:Events:RequeueMaxDelaySeconds"] = "30",
        });

        StringAssert.Contains(message, "Collectors__Events__MaxEventAgeHours 0 must be between 1 and 87600");
        StringAssert.Contains(message, "Collectors__Events__MaxFutureHours -1 must be between 0 and 8760");
        StringAssert.Contains(message, "Collectors__Events__RequeueMinDelaySeconds 90 and __RequeueMaxDelaySeconds 30");
    }

    [TestMethod]
    public async Task AMissingTrustedCertificateFileIsAStartupError()
    {
        var message = await StartupFailureAsync(new()
        {
            ["Evidence:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Azure:AdditionalTrustedCertificate"] = "/nonexistent/proxy.pem",
        });

        StringAssert.Contains(message, "/nonexistent/proxy.pem");
    }
}

[TestClass]
public sealed class CompositionTests
{
    /// <summary>What the Functions' constructors ask for must resolve from AddCollectors, or the host fails at the first trigger.</summary>
    [TestMethod]
    public async Task EveryServiceTheFunctionsNeedResolvesFromTheComposition()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Evidence:ConnectionString"] = Collectors.Tests.Infrastructure.Azurite.ConnectionString,
            ["Azure:Credential"] = "AzureCli",
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });
        builder.AddCollectors();
        using var host = builder.Build();
        await host.StartAsync();

        foreach (var type in new[]
        {
            typeof(Collectors.Runtime.CollectorRuntime),
            typeof(Collectors.Events.EventIngestionHandler),
            typeof(Collectors.Events.QueuedEventProcessor),
            typeof(Collectors.Summary.DailySummaryService),
            typeof(TimeProvider),
        })
        {
            Assert.IsNotNull(host.Services.GetService(type), type.Name);
        }

        // Every collector of the library is registered (the catalog the runtime uses is the one in the folders).
        var registered = host.Services.GetRequiredService<Collectors.Catalog.CollectorCatalog>().Collectors.Select(c => c.Id).ToList();
        CollectionAssert.AreEquivalent(Collectors.Catalog.CollectorCatalog.Default.Collectors.Select(c => c.Id).ToList(), registered, "a collector folder whose collector is not added in AddCollectors");
        var runnable = host.Services.GetServices<Collectors.Runtime.ICollector>().Select(c => c.Id).ToList();
        var routes = host.Services.GetServices<Collectors.Events.IEventRoute>().Select(r => r.Collector).ToList();
        foreach (var collector in Collectors.Catalog.CollectorCatalog.Default.Collectors)
        {
            var list = collector.Kind == Collectors.Catalog.CollectorDescriptor.Events ? routes : runnable;
            CollectionAssert.Contains(list, collector.Id, $"collector {collector.Id} ({collector.Kind}) has no {(collector.Kind == "events" ? "event route" : "ICollector")} registered");
        }

        var checks = host.Services.GetServices<Collectors.Catalog.ICollectorChecks>().Select(c => c.CollectorId).ToList();
        foreach (var collector in Collectors.Catalog.CollectorCatalog.Default.Collectors)
        {
            CollectionAssert.Contains(checks, collector.Id, $"collector {collector.Id} registers no checks, so the daily summary could never FAIL it");
        }

        await host.StopAsync();
    }
}
