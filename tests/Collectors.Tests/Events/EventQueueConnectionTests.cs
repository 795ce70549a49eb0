using Azure.Core;
using Collectors.Configuration;
using Collectors.Events;
using Microsoft.Extensions.Configuration;

namespace Collectors.Tests.Events;

/// <summary>The processor reaches the event queues through the settings the queue trigger uses.</summary>
[TestClass]
public sealed class EventQueueConnectionTests
{
    private static readonly TokenCredential AppCredential = new SimulatorCredential();

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [TestMethod]
    public void AConnectionStringReachesAzurite()
    {
        var client = EventQueueConnection.Create(Settings(("AzureWebJobsStorage", "UseDevelopmentStorage=true")), () => throw new InvalidOperationException("no credential is needed"));

        Assert.AreEqual("devstoreaccount1", client.AccountName);
        Assert.AreEqual(new Uri("http://127.0.0.1:10001/devstoreaccount1"), client.Uri);
    }

    [TestMethod]
    public void TheIdentityBasedSettingsThatInfraDeploysReachTheQueueEndpoint()
    {
        var asDeployed = EventQueueConnection.Create(
            Settings(("AzureWebJobsStorage:credential", "managedidentity"), ("AzureWebJobsStorage:clientId", "11111111-2222-3333-4444-555555555555"), ("AzureWebJobsStorage:queueServiceUri", "https://stcollectorsrt.queue.core.windows.net/")),
            () => throw new InvalidOperationException("the managed identity named by __clientId is used, not the app's credential"));
        var appIdentity = EventQueueConnection.Create(Settings(("AzureWebJobsStorage:queueServiceUri", "https://stcollectorsrt.queue.core.windows.net/")), () => AppCredential);

        Assert.AreEqual("stcollectorsrt", asDeployed.AccountName);
        Assert.AreEqual(new Uri("https://stcollectorsrt.queue.core.windows.net/"), appIdentity.Uri);
    }

    [TestMethod]
    public void MissingOrInsecureSettingsNameWhatToSet()
    {
        var missing = Assert.ThrowsExactly<InvalidOperationException>(() => EventQueueConnection.Create(Settings(), () => AppCredential));
        var http = Assert.ThrowsExactly<InvalidOperationException>(() => EventQueueConnection.Create(Settings(("AzureWebJobsStorage:queueServiceUri", "http://stcollectorsrt.queue.core.windows.net/")), () => AppCredential));

        StringAssert.Contains(missing.Message, "AzureWebJobsStorage__queueServiceUri");
        StringAssert.Contains(http.Message, "must be an absolute https:// URL");
    }
}
