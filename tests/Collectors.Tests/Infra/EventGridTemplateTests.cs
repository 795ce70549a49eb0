namespace Collectors.Tests.Infra;

[TestClass]
public sealed class EventGridTemplateTests
{
    [TestMethod]
    public void EveryEventSubscriptionDeliversToAQueueByManagedIdentityAndDeadLetters()
    {
        var snapshot = Deployments.Defaults;
        var runtime = snapshot.RuntimeAccount;
        var subscriptions = snapshot.Resources.Where(r => r.Type.StartsWith("Microsoft.EventGrid/", StringComparison.Ordinal) && r.Type.EndsWith("/eventSubscriptions", StringComparison.Ordinal)).ToList();
        var containers = snapshot.Children(runtime, "Microsoft.Storage/storageAccounts/blobServices/containers").Select(c => c.ShortName).ToList();

        Assert.HasCount(2, subscriptions, "DR events and policy state changes");
        foreach (var subscription in subscriptions)
        {
            var p = subscription.Properties;
            Assert.IsNull(p["destination"], $"{subscription.Name}: key-based delivery");
            Assert.IsNull(p["deadLetterDestination"], $"{subscription.Name}: key-based dead-lettering");

            var delivery = p["deliveryWithResourceIdentity"]!;
            Assert.AreEqual("SystemAssigned", delivery["identity"]!["type"]!.GetValue<string>(), subscription.Name);
            Assert.AreEqual("StorageQueue", delivery["destination"]!["endpointType"]!.GetValue<string>(), subscription.Name);
            Assert.AreEqual(runtime.Id, delivery["destination"]!["properties"]!["resourceId"]!.GetValue<string>(), true, subscription.Name);
            Assert.AreEqual(-1, delivery["destination"]!["properties"]!["queueMessageTimeToLiveInSeconds"]!.GetValue<int>(), "events must outlive a stopped app");

            var deadLetter = p["deadLetterWithResourceIdentity"]!;
            Assert.AreEqual("SystemAssigned", deadLetter["identity"]!["type"]!.GetValue<string>(), subscription.Name);
            Assert.AreEqual("StorageBlob", deadLetter["deadLetterDestination"]!["endpointType"]!.GetValue<string>(), subscription.Name);
            Assert.AreEqual(runtime.Id, deadLetter["deadLetterDestination"]!["properties"]!["resourceId"]!.GetValue<string>(), true, subscription.Name);
            var container = deadLetter["deadLetterDestination"]!["properties"]!["blobContainerName"]!.GetValue<string>();
            Assert.AreEqual("eventgrid-deadletter", container);
            CollectionAssert.Contains(containers, container);
        }
    }

    [TestMethod]
    public void DrEventsArriveAsCloudEventsOnATopicThatAcceptsOnlyEntraTokens()
    {
        var snapshot = Deployments.Defaults;
        var topic = snapshot.Single("Microsoft.EventGrid/topics");
        var subscription = snapshot.Single("Microsoft.EventGrid/topics/eventSubscriptions");

        Assert.IsTrue(topic.Properties["disableLocalAuth"]!.GetValue<bool>());
        Assert.AreEqual("CloudEventSchemaV1_0", topic.Properties["inputSchema"]!.GetValue<string>());
        Assert.AreEqual("SystemAssigned", topic.Body["identity"]!["type"]!.GetValue<string>());
        Assert.AreEqual("CloudEventSchemaV1_0", subscription.Properties["eventDeliverySchema"]!.GetValue<string>());
        Assert.AreEqual(snapshot.AppSettings["DR_TESTS_QUEUE"]!.GetValue<string>(), subscription.Properties["deliveryWithResourceIdentity"]!["destination"]!["properties"]!["queueName"]!.GetValue<string>());
    }

    [TestMethod]
    public void PolicyStateChangesOfTheDeploymentSubscriptionGoToThePolicyQueue()
    {
        var snapshot = Deployments.Defaults;
        var topic = snapshot.Single("Microsoft.EventGrid/systemTopics");
        var subscription = snapshot.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");

        Assert.AreEqual("global", topic.Body["location"]!.GetValue<string>());
        Assert.AreEqual("Microsoft.PolicyInsights.PolicyStates", topic.Properties["topicType"]!.GetValue<string>());
        Assert.AreEqual($"/subscriptions/{Deployments.DeploymentSubscriptionId}", topic.Properties["source"]!.GetValue<string>());
        Assert.AreEqual("SystemAssigned", topic.Body["identity"]!["type"]!.GetValue<string>());
        Assert.AreEqual(snapshot.AppSettings["POLICY_STATES_QUEUE"]!.GetValue<string>(), subscription.Properties["deliveryWithResourceIdentity"]!["destination"]!["properties"]!["queueName"]!.GetValue<string>());
        var types = subscription.Properties["filter"]!["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        CollectionAssert.AreEquivalent(new[] { "Microsoft.PolicyInsights.PolicyStateCreated", "Microsoft.PolicyInsights.PolicyStateChanged", "Microsoft.PolicyInsights.PolicyStateDeleted" }, types);
    }
}
