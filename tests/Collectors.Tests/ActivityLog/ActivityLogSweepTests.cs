using Collectors.ActivityLog;
using Collectors.Evidence;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.ActivityLog;

[TestClass]
public sealed class ActivityLogSweepTests
{
    private static readonly DateTimeOffset Day = ActivityLogHarness.DayBeforeYesterday;

    [TestMethod]
    public async Task EventsPublishedAfterTheLagLandInSupplementsOnlyAndASecondSweepCommitsNothing()
    {
        // Hourly timer runs collect each window 20 to 80 minutes after it ends, so an event published 96 minutes
        // or more after it happened (40% of four hours) is never visible when its window is collected.
        var clock = new ShiftedClock(Day.AddHours(1).AddMinutes(20));
        var faults = FaultProfile.None with { IngestionLagMax = TimeSpan.FromMinutes(12), LateArrivalRate = 0.05, LateArrivalMax = TimeSpan.FromHours(4) };
        await using var harness = await ActivityLogHarness.StartAsync(faults, new ScenarioOptions { DataStart = Day, Days = 1, Subscriptions = 2 }, clock);
        var scenario = harness.Simulator.Scenario;
        await using var host = await harness.HostAsync(clock, [("Collectors:ActivityLog:FirstRunLookbackHours", "1"), .. scenario.SubscriptionIds.Select((s, i) => ($"Collectors:ActivityLog:Subscriptions:{i}", (string?)s))]);
        var options = host.Runtime.Windows(ActivityLogCollector.Id);

        var failed = 0;
        var supplementsCommittedByTheTimer = 0;
        while (clock.GetUtcNow() < Day.AddDays(1).AddHours(options.SweepHourUtc).AddMinutes(30))
        {
            var run = await host.Runtime.RunScheduledAsync(ActivityLogCollector.Id, CancellationToken.None);
            failed += run.Failed;
            supplementsCommittedByTheTimer += run.Results.Count(r => r.Status == CommitStatus.Committed && r.Manifest!.Contains(".supplement-", StringComparison.Ordinal));
            clock.Start = clock.Start.AddHours(1);
        }

        Assert.AreEqual(0, failed);
        Assert.IsGreaterThan(0, supplementsCommittedByTheTimer, "the timer ran the sweep after 06:00 UTC");
        var reader = new EvidenceReader(harness.Store.Evidence);
        foreach (var subscription in scenario.SubscriptionIds)
        {
            var truth = scenario.Events(subscription, Day, Day.AddDays(1).AddTicks(-1)).ToList();
            var (inWindows, inSupplements) = await StoredAsync(reader, ActivityLogCollector.StreamFor(subscription));
            var late = truth.Where(e => e.PublishedLaterThan(TimeSpan.FromMinutes(options.LagMinutes))).Select(e => e.EventDataId).ToList();

            Assert.IsNotEmpty(late, "the simulator published some events later than the collector's lag");
            CollectionAssert.AreEquivalent(late, inSupplements, $"{subscription}: every late event is in a supplement, and nothing else is");
            CollectionAssert.AreEquivalent(truth.Select(e => e.EventDataId).Except(late).ToList(), inWindows, $"{subscription}: the windows hold every other event");
            Assert.IsEmpty(inWindows.Intersect(inSupplements), "no event is stored twice");
        }

        var configuration = harness.Configuration();
        var before = await harness.Store.ListAsync();
        var again = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--sweep", Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        var verify = await CollectorsCommand.RunAsync(configuration, "verify");

        Assert.AreEqual(0, again.ExitCode, again.Output + again.Error);
        StringAssert.Contains(again.Output, "Done: 0 window(s) committed");
        CollectionAssert.AreEquivalent(before, await harness.Store.ListAsync(), "a second sweep commits nothing");
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
        StringAssert.Contains(verify.Output, "Result: INTACT");
    }

    [TestMethod]
    public async Task TheSweepOfADayBeyondTheRetentionIsRefusedBeforeCallingAzure()
    {
        await using var harness = await ActivityLogHarness.StartAsync(FaultProfile.None);
        var old = DateTime.UtcNow.AddDays(-120).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var run = await CollectorsCommand.RunAsync(harness.Configuration(), "run", "activity-log", "--sweep", old);
        var both = await CollectorsCommand.RunAsync(harness.Configuration(), "run", "activity-log", "--sweep", old, "--from", old, "--to", old);

        Assert.AreEqual(2, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Error, "90 days");
        Assert.AreEqual(2, both.ExitCode);
        StringAssert.Contains(both.Error, "not both");
        Assert.AreEqual(0, harness.Simulator.Faults.Requests, "nothing reached the source");
    }

    [TestMethod]
    public void TheSweepHourIsValidated()
    {
        var descriptor = Collectors.Catalog.CollectorCatalog.Default.Find(ActivityLogCollector.Id)!;
        var options = new Collectors.Runtime.WindowOptions();
        options.ApplyDefaults(descriptor);
        options.SweepHourUtc = 24;

        var result = new Collectors.Runtime.WindowOptionsValidator(descriptor).Validate(ActivityLogCollector.Id, options);

        Assert.IsTrue(result.Failed);
        StringAssert.Contains(result.FailureMessage, "Collectors__ActivityLog__SweepHourUtc 24");
    }

    /// <summary>The event ids in the day's window manifests, and those in its supplements.</summary>
    private static async Task<(List<string> Windows, List<string> Supplements)> StoredAsync(EvidenceReader reader, EvidenceStream stream)
    {
        var windows = new List<string>();
        var supplements = new List<string>();
        await foreach (var manifest in reader.ManifestsAsync(stream, Day, Day.AddDays(1), CancellationToken.None))
        {
            if (manifest.Manifest.Window.Start < Day)
            {
                continue;
            }

            await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
            {
                (manifest.Manifest.Kind == "supplement" ? supplements : windows).Add(EvidenceReader.ReadString(record.Json.Span, "eventDataId")!);
            }
        }

        return (windows, supplements);
    }
}
