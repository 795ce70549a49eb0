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
    public async Task AMessageThatIsNotAValidWorkItemIsRefusedWithARejectionRecordAndNothingElse()
    {
        await using var store = TestStore.Create();
        var (host, _) = await HostAsync(store);
        await using var __ = host;
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var messages = new Dictionary<string, (string Message, string Says)>
        {
            ["not a work item"] = ("{\"hello\":1}", "not a work item"),
            ["not json"] = ("not json", "not a work item"),
            ["key and stream disagree"] = (new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/ledger", WorkKind.Backfill, hour.AddHours(-3), hour.AddHours(-2)).ToMessage(), "key checkout is stream sample-heartbeats/checkout"),
            ["another collector's stream"] = (new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "activity-log/sub-00000000-0000-0000-0000-000000000001", WorkKind.Backfill, hour.AddHours(-3), hour.AddHours(-2)).ToMessage(), "is stream sample-heartbeats/checkout"),
            ["unknown collector"] = (new WorkItem("retired-collector", "x", "retired-collector/x", WorkKind.Scheduled, hour.AddHours(-3), hour.AddHours(-2)).ToMessage(), "not registered here"),
            ["future range"] = (new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/checkout", WorkKind.Scheduled, hour.AddHours(-1), hour.AddDays(2)).ToMessage(), "after the latest window that can be collected now"),
            ["off the grid"] = (new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/checkout", WorkKind.Scheduled, hour.AddHours(-5).AddMinutes(7), hour.AddHours(-3).AddMinutes(7)).ToMessage(), "not on the 30-minute grid"),
            ["beyond retention"] = (new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/checkout", WorkKind.Backfill, hour.AddDays(-400), hour.AddDays(-399)).ToMessage(), "before the source's retention"),
            ["wrong kind"] = (new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/checkout", WorkKind.Snapshot, default, default).ToMessage(), "cannot run on sample-heartbeats"),
        };

        foreach (var (name, (message, _)) in messages)
        {
            Assert.IsNull(await host.Runtime.RunMessageAsync(message, CancellationToken.None), name);
        }

        Assert.IsNull(await host.Runtime.RecordPoisonAsync(messages["another collector's stream"].Message, CancellationToken.None), "the poison path refuses it too, instead of writing an error record into another collector's stream");

        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix), "nothing was committed for any of them");
        Assert.IsEmpty((await store.ListAsync(EvidencePaths.ErrorSuffix)), "and no error record was written anywhere");
        var rejections = await store.ListAsync(EvidencePaths.RejectionSuffix);
        Assert.IsTrue(rejections.All(r => r.StartsWith("rejections/collector-work/", StringComparison.Ordinal)), string.Join('\n', rejections));
        Assert.HasCount(messages.Count, rejections, "one rejection record per distinct message (the poison path's is the same message: the same record)");
        var reasons = new List<string>();
        foreach (var name in rejections)
        {
            reasons.Add((await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!.Reason);
        }

        foreach (var (name, (_, says)) in messages)
        {
            Assert.IsTrue(reasons.Any(r => r.Contains(says, StringComparison.Ordinal)), $"{name}: no rejection says '{says}':\n{string.Join('\n', reasons)}");
        }
    }

    [TestMethod]
    public async Task TwoItemsForOneStreamAtOnceRunOneAfterTheOtherNeverTogether()
    {
        await using var store = TestStore.Create();
        var (host, _) = await HostAsync(store);
        await using var __ = host;
        var day = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1));
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var item = new WorkItem(SampleHeartbeatsCollector.Id, "checkout", "sample-heartbeats/checkout", WorkKind.Backfill, start, start.AddHours(12)).ToMessage();

        var runs = await Task.WhenAll(host.Runtime.RunMessageAsync(item, CancellationToken.None), host.Runtime.RunMessageAsync(item, CancellationToken.None));

        Assert.AreEqual(24, runs.Sum(r => r!.Committed + r.AlreadyCommitted), "the 24 windows are run once in all: the item that found the stream busy did nothing");
        Assert.AreEqual(24, runs.Sum(r => r!.Committed));
        Assert.IsTrue(runs.Any(r => r!.Results.Count == 0), "one of the two found the stream's work lease taken");
    }
}
