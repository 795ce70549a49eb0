using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.PolicyStates;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Collectors.Tests.Events;

/// <summary>Messages through a real Azurite queue, received and completed as the queue trigger does, into the processor the functions call.</summary>
[TestClass]
public sealed class QueuedEventProcessorTests
{
    private const string Subscription = "0b1f6471-1bf0-4dda-aec3-111122223333";
    private static readonly EvidenceStream Stream = new(PolicyStatesEventRoute.Id, $"sub-{Subscription}");
    private static AzuriteProcess? s_queues;

    private static QueueServiceClient Queues => new(s_queues!.ConnectionString);

    [ClassInitialize]
    public static void StartQueues(TestContext context) => s_queues = AzuriteProcess.StartQueueService();

    [ClassCleanup]
    public static void StopQueues() => s_queues?.Dispose();

    [TestMethod]
    public async Task ALockHeldLongerThanTheMessageMayWaitPutsItBackInvisibleAndCompletesTheDelivery()
    {
        await using var store = TestStore.Create();
        var queue = await NewQueueAsync();
        var processor = Processor(store, new EventsOptions { MessageTimeoutSeconds = 2 });
        var text = EventsHarness.PolicyEvent("while-locked", Subscription, DateTimeOffset.UtcNow).ToJsonString();
        await queue.SendMessageAsync(text);
        await using var otherWriter = await HoldStreamLockAsync(store);

        var delivery = await ReceiveAsTheTriggerAsync(queue);
        var outcome = await processor.ProcessAsync(queue.Name, delivery.MessageText, CancellationToken.None);
        await queue.DeleteMessageAsync(delivery.MessageId, delivery.PopReceipt);

        Assert.IsNull(outcome.Handled);
        Assert.IsNotNull(outcome.Requeued);
        Assert.AreEqual(1, outcome.Requeued.Count);
        Assert.IsTrue(outcome.Requeued.Delay >= TimeSpan.FromSeconds(30) && outcome.Requeued.Delay <= TimeSpan.FromSeconds(120), outcome.Requeued.Delay.ToString());
        StringAssert.Contains(outcome.Requeued.Cause, "not handled within 2 s");
        Assert.AreEqual(1, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount, "the message is back on its queue");
        Assert.IsEmpty((await queue.ReceiveMessagesAsync(32)).Value, "and invisible for the delay");
        Assert.IsFalse((await Queues.GetQueueClient(queue.Name + "-poison").ExistsAsync()).Value, "nothing went to the poison queue");
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix));
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.RejectionSuffix), "a busy stream is no fault of the message");
    }

    [TestMethod]
    public async Task APutBackMessageComesAgainAsAFirstDeliveryAndIsStoredOnceTheLockIsFree()
    {
        await using var store = TestStore.Create();
        var queue = await NewQueueAsync();
        var processor = Processor(store, new EventsOptions { MessageTimeoutSeconds = 2, RequeueMinDelaySeconds = 1, RequeueMaxDelaySeconds = 1 });
        var text = EventsHarness.Base64(System.Text.Encoding.UTF8.GetBytes(EventsHarness.PolicyEvent("later", Subscription, DateTimeOffset.UtcNow).ToJsonString())).ToString();
        await queue.SendMessageAsync(text);
        var otherWriter = await HoldStreamLockAsync(store);

        var first = await ReceiveAsTheTriggerAsync(queue);
        var requeued = await processor.ProcessAsync(queue.Name, first.MessageText, CancellationToken.None);
        await queue.DeleteMessageAsync(first.MessageId, first.PopReceipt);
        await otherWriter.DisposeAsync();
        var second = await ReceiveAsTheTriggerAsync(queue);
        var stored = await processor.ProcessAsync(queue.Name, second.MessageText, CancellationToken.None);
        await queue.DeleteMessageAsync(second.MessageId, second.PopReceipt);

        Assert.IsNotNull(requeued.Requeued);
        Assert.AreEqual(requeued.Requeued.MessageId, second.MessageId);
        Assert.AreEqual(1, second.DequeueCount, "the queue's delivery attempts are not spent on a busy stream");
        Assert.AreEqual(QueuedEventProcessor.Wrap(1, text), second.MessageText, "the same body, behind the re-enqueue count");
        Assert.AreEqual(1, stored.Handled!.Accepted, stored.Handled.Reason);
        Assert.HasCount(1, await store.ListAsync(EvidencePaths.ManifestSuffix));
        Assert.AreEqual(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [TestMethod]
    public async Task TheStreamLocksOwnWaitLimitPutsTheMessageBackToo()
    {
        await using var store = TestStore.Create();
        var queue = await NewQueueAsync();

        // The writer's clock runs 200 times fast, so the lock's three-minute wait limit passes in about a second.
        var handler = new EventIngestionHandler([new PolicyStatesEventRoute()], store.NewWriter(new SpedUpClock(200)), new EvidenceReader(store.Evidence), Options.Create(new EventsOptions()), TimeProvider.System, NullLogger<EventIngestionHandler>.Instance);
        var processor = new QueuedEventProcessor(handler, Queues, Options.Create(new EventsOptions { MessageTimeoutSeconds = 120 }), TimeProvider.System, NullLogger<QueuedEventProcessor>.Instance);
        var text = EventsHarness.PolicyEvent("lock-limit", Subscription, DateTimeOffset.UtcNow).ToJsonString();
        await queue.SendMessageAsync(text);
        await using var otherWriter = await HoldStreamLockAsync(store);

        var delivery = await ReceiveAsTheTriggerAsync(queue);
        var outcome = await processor.ProcessAsync(queue.Name, delivery.MessageText, CancellationToken.None);

        Assert.IsNotNull(outcome.Requeued);
        StringAssert.Contains(outcome.Requeued.Cause, "is locked by another writer");
        Assert.AreEqual(2, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount, "the delivery (not yet completed) and the message put back");
    }

    [TestMethod]
    public async Task TheHandlerAloneLetsALockTimeoutFailTheDeliveryAndRecordsNoRejection()
    {
        await using var store = TestStore.Create();
        var handler = new EventIngestionHandler([new PolicyStatesEventRoute()], store.NewWriter(new SpedUpClock(200)), new EvidenceReader(store.Evidence), Options.Create(new EventsOptions()), TimeProvider.System, NullLogger<EventIngestionHandler>.Instance);
        await using var otherWriter = await HoldStreamLockAsync(store);

        // What the functions did before the processor: the exception failed the delivery, and the fifth went to the poison queue.
        await Assert.ThrowsAsync<TimeoutException>(() => handler.HandleAsync(EventOrigin.Queue("policy-states"), EventsHarness.Message(EventsHarness.PolicyEvent("locked", Subscription, DateTimeOffset.UtcNow)), CancellationToken.None));

        Assert.IsEmpty(await store.ListAsync(EvidencePaths.RejectionSuffix), "a busy stream is not the message's fault");
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix));
    }

    [TestMethod]
    public async Task AfterTheLastAllowedPutBackALockTimeoutFailsTheDeliveryAsAnyFailure()
    {
        await using var store = TestStore.Create();
        var queue = await NewQueueAsync();
        var processor = Processor(store, new EventsOptions { MessageTimeoutSeconds = 1, MaxRequeues = 3 });
        await queue.SendMessageAsync(QueuedEventProcessor.Wrap(3, EventsHarness.PolicyEvent("given-up", Subscription, DateTimeOffset.UtcNow).ToJsonString()));
        await using var otherWriter = await HoldStreamLockAsync(store);

        var delivery = await ReceiveAsTheTriggerAsync(queue);
        var failure = await Assert.ThrowsAsync<TimeoutException>(() => processor.ProcessAsync(queue.Name, delivery.MessageText, CancellationToken.None));

        StringAssert.Contains(failure.Message, "put back 3 times already (Collectors__Events__MaxRequeues)");
        Assert.AreEqual(1, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount, "no new message: the queue's own retries and poison queue take over");
    }

    [TestMethod]
    public async Task AStorageFailureFailsTheDeliveryAndIsNotPutBack()
    {
        await using var store = TestStore.Create();
        var queue = await NewQueueAsync();
        var processor = Processor(store, new EventsOptions());
        await store.Writer.ReadCheckpointAsync(Stream, CancellationToken.None);
        await store.Evidence.DeleteAsync();
        await queue.SendMessageAsync(EventsHarness.PolicyEvent("outage", Subscription, DateTimeOffset.UtcNow).ToJsonString());

        var delivery = await ReceiveAsTheTriggerAsync(queue);
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => processor.ProcessAsync(queue.Name, delivery.MessageText, CancellationToken.None));

        Assert.AreEqual(1, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        await store.Evidence.CreateAsync();
    }

    [TestMethod]
    public async Task ABadMessageOrAForgedHeaderIsARejectionRecordOfTheMessageAsDelivered()
    {
        await using var store = TestStore.Create();
        var queue = await NewQueueAsync();
        var processor = Processor(store, new EventsOptions());
        var forged = QueuedEventProcessor.RequeueHeader + "lots\n" + EventsHarness.PolicyEvent("forged", Subscription, DateTimeOffset.UtcNow).ToJsonString();

        foreach (var text in new[] { "not an event", forged })
        {
            await queue.SendMessageAsync(text);
            var delivery = await ReceiveAsTheTriggerAsync(queue);
            var outcome = await processor.ProcessAsync(queue.Name, delivery.MessageText, CancellationToken.None);
            await queue.DeleteMessageAsync(delivery.MessageId, delivery.PopReceipt);

            Assert.IsNull(outcome.Requeued);
            StringAssert.StartsWith(outcome.Handled!.RejectionRecord, $"rejections/{queue.Name}/");
            var record = (await store.Evidence.GetBlobClient(outcome.Handled.RejectionRecord).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;
            Assert.AreEqual(text, record.Message.Text);
        }

        Assert.AreEqual(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [TestMethod]
    [DataRow("#collectors-requeue count=2\n{\"id\":1}", 2, "{\"id\":1}")]
    [DataRow("#collectors-requeue count=0\n{}", 0, "#collectors-requeue count=0\n{}")]
    [DataRow("#collectors-requeue count=\n{}", 0, "#collectors-requeue count=\n{}")]
    [DataRow("#collectors-requeue count=12345678901\n{}", 0, "#collectors-requeue count=12345678901\n{}")]
    [DataRow("#collectors-requeue count=+1\n{}", 0, "#collectors-requeue count=+1\n{}")]
    [DataRow("{\"id\":\"#collectors-requeue count=1\\n\"}", 0, "{\"id\":\"#collectors-requeue count=1\\n\"}")]
    public void OnlyAWellFormedHeaderIsReadAsARequeueCount(string message, int count, string body)
    {
        Assert.AreEqual((count, body), QueuedEventProcessor.Unwrap(message));
    }

    private static QueuedEventProcessor Processor(TestStore store, EventsOptions options) =>
        new(EventsHarness.Handler(store), Queues, Options.Create(options), TimeProvider.System, NullLogger<QueuedEventProcessor>.Instance);

    private static async Task<QueueClient> NewQueueAsync()
    {
        var queue = Queues.GetQueueClient($"policy-states-{Guid.NewGuid():N}"[..40]);
        await queue.CreateAsync();
        return queue;
    }

    /// <summary>Receives one message as the trigger does (hidden while it runs), waiting for it to become visible.</summary>
    private static async Task<QueueMessage> ReceiveAsTheTriggerAsync(QueueClient queue)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            if ((await queue.ReceiveMessageAsync(TimeSpan.FromMinutes(5))).Value is { } message)
            {
                return message;
            }

            Assert.IsLessThan(deadline, DateTimeOffset.UtcNow, "no message became visible on the queue");
            await Task.Delay(200);
        }
    }

    /// <summary>Another writer holding the stream's lock: a lease on its checkpoint blob, until disposed.</summary>
    private static async Task<IAsyncDisposable> HoldStreamLockAsync(TestStore store)
    {
        await store.Writer.ReadCheckpointAsync(Stream, CancellationToken.None);
        var lease = store.State.GetBlobClient(CheckpointStore.BlobName(Stream)).GetBlobLeaseClient();
        await lease.AcquireAsync(TimeSpan.FromSeconds(-1));
        return new HeldLease(lease);
    }

    private sealed class HeldLease(BlobLeaseClient lease) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await lease.ReleaseAsync();
    }
}
