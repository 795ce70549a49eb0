using Collectors.ActivityLog;
using Collectors.Evidence;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.ActivityLog;

[TestClass]
public sealed class ActivityLogCollectorTests
{
    private static readonly DateTimeOffset Day = ActivityLogHarness.DayBeforeYesterday;

    private static async Task<List<string>> StoredIdsAsync(ActivityLogHarness harness, string subscription)
    {
        var reader = new EvidenceReader(harness.Store.Evidence);
        var ids = new List<string>();
        await foreach (var manifest in reader.ManifestsAsync(ActivityLogCollector.StreamFor(subscription), Day, Day.AddDays(2), CancellationToken.None))
        {
            await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
            {
                ids.Add(EvidenceReader.ReadString(record.Json.Span, "eventDataId")!);
            }
        }

        return ids;
    }

    [TestMethod]
    public async Task TheTimerCollectsUpToNowMinusTheLagAndResumesWhereItStopped()
    {
        var clock = new ShiftedClock(Day.AddHours(10).AddMinutes(25));
        await using var harness = await ActivityLogHarness.StartAsync(
            FaultProfile.None with { IngestionLagMax = TimeSpan.FromMinutes(12) },
            new ScenarioOptions { DataStart = Day, Days = 1, Subscriptions = 1 },
            clock,
            pageSize: 7);
        var subscription = harness.Simulator.Scenario.SubscriptionIds[0];
        await using var host = await harness.HostAsync(clock, ("Collectors:ActivityLog:Subscriptions:0", subscription), ("Collectors:ActivityLog:FirstRunLookbackHours", "2"), ("Collectors:ActivityLog:Sweep", "false"));

        var first = await host.Runtime.RunScheduledAsync(ActivityLogCollector.Id, CancellationToken.None);
        clock.Start = clock.Start.AddHours(1);
        var second = await host.Runtime.RunScheduledAsync(ActivityLogCollector.Id, CancellationToken.None);

        Assert.AreEqual(8, first.Committed, "08:00–10:00: the 10:00 window is still inside the 20-minute lag at 10:25");
        Assert.AreEqual(Day.AddHours(10), first.Results[^1].Window.End);
        Assert.AreEqual(4, second.Committed, "an hour later it resumes at 10:00 and stops at 11:00");
        Assert.AreEqual(Day.AddHours(10), second.Results[0].Window.Start);
        var truth = harness.Simulator.Scenario.Events(subscription, Day.AddHours(8), Day.AddHours(11).AddTicks(-1)).Select(e => e.EventDataId).ToList();
        CollectionAssert.AreEquivalent(truth, await StoredIdsAsync(harness, subscription), "pages of 7 are all followed, and every late event was visible by the time its window was collected");
    }

    [TestMethod]
    public async Task WithoutALagLateEventsWouldBeMissedWhichIsWhyTheLagExists()
    {
        var clock = new ShiftedClock(Day.AddHours(10).AddMinutes(16));
        await using var harness = await ActivityLogHarness.StartAsync(
            FaultProfile.None with { IngestionLagMax = TimeSpan.FromMinutes(12) },
            new ScenarioOptions { DataStart = Day, Days = 1, Subscriptions = 1, ActivityEventsPerHour = 400 },
            clock);
        var subscription = harness.Simulator.Scenario.SubscriptionIds[0];
        await using var host = await harness.HostAsync(clock, ("Collectors:ActivityLog:Subscriptions:0", subscription), ("Collectors:ActivityLog:FirstRunLookbackHours", "1"), ("Collectors:ActivityLog:LagMinutes", "0"), ("Collectors:ActivityLog:Sweep", "false"));

        var run = await host.Runtime.RunScheduledAsync(ActivityLogCollector.Id, CancellationToken.None);

        Assert.AreEqual(Day.AddHours(10).AddMinutes(15), run.Results[^1].Window.End);
        var truth = harness.Simulator.Scenario.Events(subscription, Day.AddHours(9).AddMinutes(15), Day.AddHours(10).AddMinutes(15).AddTicks(-1)).ToList();
        var stored = await StoredIdsAsync(harness, subscription);
        var missing = truth.Where(e => !stored.Contains(e.EventDataId)).ToList();
        Assert.IsNotEmpty(missing, "the simulator's ingestion lag hides recent events");
        Assert.IsTrue(missing.All(e => e.VisibleAt > clock.GetUtcNow().AddSeconds(-5)), "only events not yet visible were missed");
    }

    [TestMethod]
    public async Task AForbiddenSubscriptionLeavesAnErrorRecordNamingTheMissingRole()
    {
        await using var harness = await ActivityLogHarness.StartAsync(FaultProfile.None, new ScenarioOptions { DataStart = Day, Days = 1, Subscriptions = 2, ForbiddenSubscriptions = [1] });
        var configuration = harness.Configuration();

        var run = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--from", TimeWindow.Iso(Day), "--to", TimeWindow.Iso(Day.AddHours(1)));

        Assert.AreEqual(1, run.ExitCode, run.Output + run.Error);
        var forbidden = harness.Simulator.Scenario.SubscriptionIds[1];
        StringAssert.Contains(run.Output, "4 committed, 0 already committed, 0 failed");
        StringAssert.Contains(run.Output, $"needs the Reader role on /subscriptions/{forbidden}");
        var errors = await harness.Store.ListAsync(EvidencePaths.ErrorSuffix);
        Assert.HasCount(4, errors);
        Assert.IsTrue(errors.All(e => e.StartsWith(ActivityLogCollector.StreamFor(forbidden).Name + "/", StringComparison.Ordinal)));
        var record = (await harness.Store.Evidence.GetBlobClient(errors[0]).DownloadContentAsync()).Value.Content.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options)!;
        Assert.AreEqual(403, record.HttpStatus);
        Assert.AreEqual("AuthorizationFailed", record.ErrorCode);
    }

    [TestMethod]
    public async Task BackfillRefusesRangesOlderThanTheRetentionAndBadInputBeforeCallingAzure()
    {
        await using var harness = await ActivityLogHarness.StartAsync(FaultProfile.None);
        var configuration = harness.Configuration();

        var old = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--from", TimeWindow.Iso(DateTimeOffset.UtcNow.AddDays(-120)), "--to", TimeWindow.Iso(DateTimeOffset.UtcNow.AddDays(-100)));
        var recent = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--from", TimeWindow.Iso(DateTimeOffset.UtcNow.AddHours(-1)), "--to", TimeWindow.Iso(DateTimeOffset.UtcNow));
        var notGuid = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--from", TimeWindow.Iso(Day), "--to", TimeWindow.Iso(Day.AddHours(1)), "--subscription", "prod");
        var half = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--from", TimeWindow.Iso(Day));
        var badSetting = await CollectorsCommand.RunAsync(harness.Configuration(("Collectors:ActivityLog:WindowMinutes", "7")), "run", "activity-log");

        Assert.AreEqual(2, old.ExitCode);
        StringAssert.Contains(old.Error, "90 days");
        Assert.AreEqual(2, recent.ExitCode);
        StringAssert.Contains(recent.Error, "lag");
        Assert.AreEqual(2, notGuid.ExitCode);
        StringAssert.Contains(notGuid.Error, "not a subscription id");
        Assert.AreEqual(2, half.ExitCode);
        Assert.AreEqual(2, badSetting.ExitCode);
        StringAssert.Contains(badSetting.Error, "Collectors__ActivityLog__WindowMinutes");
        Assert.AreEqual(0, harness.Simulator.Faults.Requests, "nothing reached the source");
        Assert.IsEmpty(await harness.Store.ListAsync());
    }
}
