using Collectors.Evidence;
using Collectors.Simulator;
using Collectors.Summary;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Collectors.Tests.Summary;

[TestClass]
public sealed class SummaryCatchUpTests
{
    private static readonly DateOnly[] Days = [SummaryFixture.Day(1), SummaryFixture.Day(2), SummaryFixture.Day(3)];

    private static FakeTimeProvider MorningAfter(DateOnly day) => new(SummaryFixture.Start(day).AddDays(1).AddHours(6));

    private static async Task CommitDaysAsync(TestStore store)
    {
        foreach (var day in Days)
        {
            await SummaryFixture.CommitDayAsync(store, day);
        }
    }

    [TestMethod]
    public async Task OneTimerRunSummarisesEveryMissedDayOldestFirstAndASecondRunDoesNothingMore()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        await CommitDaysAsync(store);
        var service = SummaryMailTests.Service(store, simulator, MorningAfter(Days[^1]));

        var first = await service.RunDueAsync(CancellationToken.None);
        var evidence = await store.ListAsync();
        var second = await service.RunDueAsync(CancellationToken.None);

        CollectionAssert.AreEqual(Days.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToArray(), first.Select(r => r.Summary.Date).ToArray(), "no summaries before the first evidence; then every day in date order");
        Assert.IsTrue(first.All(r => r.Commit.Status == CommitStatus.Committed));
        Assert.IsNull(first[0].Summary.Drift.PreviousDate);
        Assert.AreEqual(first[0].Summary.Date, first[1].Summary.Drift.PreviousDate, "each day's drift compares with the day before");
        Assert.AreEqual(first[1].Summary.Date, first[2].Summary.Drift.PreviousDate);
        CollectionAssert.AreEqual(first.Select(r => r.Summary.Subject).ToArray(), simulator.Mail.Sent.Select(m => m.Subject).ToArray(), "each sent once, in date order");

        Assert.IsTrue(second.All(r => r.Commit.Status == CommitStatus.AlreadyCommitted));
        Assert.IsTrue(second.All(r => r.MailStatus!.StartsWith("already sent", StringComparison.Ordinal)), string.Join(" | ", second.Select(r => r.MailStatus)));
        Assert.HasCount(3, simulator.Mail.Sent, "nothing sent twice");
        CollectionAssert.AreEquivalent(evidence, await store.ListAsync(), "nothing committed by the second run");
    }

    [TestMethod]
    public async Task DaysOlderThanTheCatchUpLimitAreLeftUnsummarised()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        await CommitDaysAsync(store);
        var options = SummaryMailTests.Options();
        options.MaxCatchUpDays = 2;
        var service = SummaryMailTests.Service(store, simulator, MorningAfter(Days[^1]), options);

        var runs = await service.RunDueAsync(CancellationToken.None);

        CollectionAssert.AreEqual(new[] { Days[1], Days[2] }.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToArray(), runs.Select(r => r.Summary.Date).ToArray());
        Assert.IsNull(await service.LoadAsync(Days[0], CancellationToken.None), "the older gap is logged and left for 'collectors summary --date'");
        Assert.HasCount(2, simulator.Mail.Sent);
    }

    [TestMethod]
    public async Task WithNoEvidenceAtAllOnlyYesterdayIsSummarised()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        await store.Evidence.CreateIfNotExistsAsync();

        var runs = await SummaryMailTests.Service(store, simulator, MorningAfter(Days[^1])).RunDueAsync(CancellationToken.None);

        Assert.AreEqual(Days[^1].ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), runs.Single().Summary.Date, "a new deployment does not mail a week of empty days");
    }
}
