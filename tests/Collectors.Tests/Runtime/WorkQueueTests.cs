using Azure.Storage.Queues;
using Collectors.Evidence;
using Collectors.Runtime;
using Collectors.Tests.Infrastructure;
using Collectors.Tests.SampleHeartbeats;

namespace Collectors.Tests.Runtime;

/// <summary>
/// The timer → work queue → queue function path, on a real (Azurite) queue, with the functions' own calls
/// (ScheduleAsync, RunMessageAsync, RecordPoisonAsync): one message per stream, idempotent when delivered
/// twice, a poison message an error record the daily summary reports, a foreign message dropped.
/// </summary>
[TestClass]
public sealed class WorkQueueTests
{
    private static AzuriteProcess? s_queues;

    [ClassInitialize]
    public static void StartQueues(TestContext context) => s_queues = AzuriteProcess.StartQueueService();

    [ClassCleanup]
    public static void StopQueues() => s_queues?.Dispose();

    private static async Task<(CollectorsTestHost Host, QueueClient Queue)> HostAsync(TestStore store)
    {
        var name = $"work-{Guid.NewGuid():N}"[..30];
        var host = await CollectorsTestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["Evidence:ConnectionString"] = store.Options.ConnectionString,
                ["Evidence:Container"] = store.Options.Container,
                ["Evidence:StateContainer"] = store.Options.StateContainer,
                ["Azure:Credential"] = "AzureCli",
                ["AzureWebJobsStorage"] = s_queues!.ConnectionString,
                [WorkQueue.Setting] = name,
                ["Collectors:SampleHeartbeats:Services:0"] = "checkout",
                ["Collectors:SampleHeartbeats:Services:1"] = "ledger",
                ["Collectors:SampleHeartbeats:Services:2"] = "search",
            },
            extend: SampleCollectorTests.Register);
        var queue = new QueueServiceClient(s_queues.ConnectionString).GetQueueClient(name);
        await queue.CreateAsync();
        return (host, queue);
    }

    private static async Task<List<string>> DrainAsync(QueueClient queue)
    {
        var messages = new List<string>();
        while (true)
        {
            var received = (await queue.ReceiveMessagesAsync(32)).Value;
            if (received.Length == 0)
            {
                return messages;
            }

            foreach (var message in received)
            {
                messages.Add(message.MessageText);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }

    [TestMethod]
    public async Task TheTimerPutsOneWorkItemPerStreamOnTheQueueAndRunningThemTwiceCommitsOnce()
    {
        await using var store = TestStore.Create();
        var (host, queue) = await HostAsync(store);
        await using var _ = host;

        var scheduled = await host.Runtime.ScheduleAsync(SampleHeartbeatsCollector.Id, CancellationToken.None);
        var messages = await DrainAsync(queue);

        Assert.AreEqual(3, scheduled.Items);
        Assert.IsNull(scheduled.Run, "the timer only enqueues; the queue function runs");
        Assert.HasCount(3, messages);
        CollectionAssert.AreEquivalent(new[] { "sample-heartbeats/checkout", "sample-heartbeats/ledger", "sample-heartbeats/search" }, messages.Select(m => WorkItem.FromMessage(m).Stream).ToList());
        var first = await Task.WhenAll(messages.Select(m => host.Runtime.RunMessageAsync(m, CancellationToken.None)));
        var redelivered = await Task.WhenAll(messages.Select(m => host.Runtime.RunMessageAsync(m, CancellationToken.None)));

        Assert.IsTrue(first.All(r => r!.Succeeded && r.Committed > 0));
        Assert.IsTrue(redelivered.All(r => r!.Committed == 0 && r.AlreadyCommitted == first[Array.IndexOf(redelivered, r)]!.Committed), "a work item delivered again commits nothing new");
        var verify = await CollectorsCommand.RunAsync(["verify", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container]);
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
    }

    [TestMethod]
    public async Task ACollectorThatDoesNotFanOutIsRunByItsTimerAndPutsNothingOnTheQueue()
    {
        await using var store = TestStore.Create();
        var (host, queue) = await HostAsync(store);
        await using var _ = host;
        var descriptor = host.Runtime.Describe("entra-signins");

        Assert.IsFalse(descriptor.FanOut, "Graph's reporting limit is per app per tenant");
        StringAssert.Contains(descriptor.FanOutNote, "5 requests per 10 s");
        Assert.IsTrue(host.Runtime.Describe(SampleHeartbeatsCollector.Id).FanOut);
        Assert.IsTrue(host.Runtime.Describe("activity-log").FanOut, "ARM's read limits are per subscription: its streams spread");
        Assert.IsEmpty(await DrainAsync(queue));
    }

    [TestMethod]
    public async Task APoisonWorkItemBecomesAnErrorRecordTheDailySummaryReports()
    {
        await using var store = TestStore.Create();
        var (host, _) = await HostAsync(store);
        await using var __ = host;
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1));
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddHours(10);
        var item = new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/checkout", WorkKind.Backfill, start, start.AddHours(2));

        var record = await host.Runtime.RecordPoisonAsync(item.ToMessage(), CancellationToken.None);
        var summary = await host.Get<Collectors.Summary.DailySummaryService>().RunAsync(day, send: false, CancellationToken.None);

        Assert.IsNotNull(record);
        StringAssert.EndsWith(record, EvidencePaths.ErrorSuffix);
        StringAssert.Contains(record, "sample-heartbeats/checkout/");
        var stream = summary.Summary.Streams.Single(s => s.Stream == "sample-heartbeats/checkout");
        Assert.HasCount(1, stream.ErrorRecords);
        StringAssert.Contains(stream.ErrorRecords[0].Reason, "poison queue");
        Assert.AreEqual(start, stream.ErrorRecords[0].WindowStart);
    }

    [TestMethod]
    public async Task AMessageThatIsNotAWorkItemIsDroppedAndAWorkItemWhoseKeyAndStreamDisagreeFails()
    {
        await using var store = TestStore.Create();
        var (host, _) = await HostAsync(store);
        await using var __ = host;

        Assert.IsNull(await host.Runtime.RunMessageAsync("{\"hello\":1}", CancellationToken.None));
        Assert.IsNull(await host.Runtime.RunMessageAsync("not json", CancellationToken.None));
        Assert.IsNull(await host.Runtime.RecordPoisonAsync("not json", CancellationToken.None));
        var forged = new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/ledger", WorkKind.Backfill, DateTimeOffset.UtcNow.AddHours(-3), DateTimeOffset.UtcNow.AddHours(-2));
        var ex = await Assert.ThrowsAsync<FormatException>(() => host.Runtime.RunMessageAsync(forged.ToMessage(), CancellationToken.None));
        StringAssert.Contains(ex.Message, "key checkout is stream sample-heartbeats/checkout");
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix), "nothing was written for either");
    }
}
