using Collectors.Summary;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Summary;

[TestClass]
public sealed class DailySummaryTests
{
    private static readonly DateOnly D = SummaryFixture.Day(0);

    private static TimeProvider NextMorning(DateOnly day) => new ShiftedClock(SummaryFixture.Start(day).AddDays(1).AddHours(6));

    private static CriterionStatus Criterion(DailySummary s, string id) => s.Criteria.Single(c => c.Id == id);

    [TestMethod]
    public async Task CompleteEvidenceWithoutFindingsPasses()
    {
        await using var store = TestStore.Create();
        await SummaryFixture.CommitDayAsync(store, D);

        var summary = await SummaryFixture.Builder(store, NextMorning(D)).BuildAsync(D, null, [], CancellationToken.None);

        Assert.AreEqual(Status.Pass, Criterion(summary, "CC8.1").Status, string.Join("; ", Criterion(summary, "CC8.1").Reasons));
        Assert.AreEqual(Status.Pass, Criterion(summary, "CC7.2").Status);
        var stream = summary.Streams.Single();
        Assert.AreEqual(96, stream.WindowsExpected);
        Assert.AreEqual(96, stream.WindowsCommitted);
        Assert.AreEqual(0, stream.WindowsMissing);
        Assert.IsTrue(stream.Hours.All(h => h is "committed" or "late"), "every hour covered (collected now, long after the window, so late)");
        Assert.AreEqual(Status.NotCovered, Criterion(summary, "CC1.1").Status, "criteria no collector covers are never PASS");
    }

    [TestMethod]
    public async Task AFindingFailsItsCriterionAndNamesTheItemAndItsEvidence()
    {
        await using var store = TestStore.Create();
        await SummaryFixture.CommitDayAsync(store, D, violations: new() { [13] = SummaryFixture.OutOfBand("oob-1", SummaryFixture.Start(D).AddMinutes(200)) });

        var summary = await SummaryFixture.Builder(store, NextMorning(D)).BuildAsync(D, null, [], CancellationToken.None);

        Assert.AreEqual(Status.Fail, Criterion(summary, "CC8.1").Status);
        var finding = summary.Findings.Single(f => f.Criterion == "CC8.1");
        Assert.AreEqual("oob-1", finding.RecordId);
        StringAssert.Contains(finding.Item, "mallory@contoso.com");
        StringAssert.EndsWith(finding.Manifest, ".manifest.json");
        Assert.AreEqual(Status.Pass, Criterion(summary, "CC7.2").Status);
        var json = System.Text.Json.JsonSerializer.Serialize(summary, Collectors.Evidence.EvidenceJson.Options);
        var results = Collectors.Tests.Evidence.ManifestSchemaTests.Load("collectors.summary.v1.schema.json").Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        Assert.IsTrue(results.IsValid, string.Join("; ", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
        Assert.AreEqual("SOC 2 evidence " + D.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + ": 1 FAIL, 0 ERROR, 2 PASS", summary.Subject);
    }

    [TestMethod]
    public async Task MissingWindowsAreAnErrorNotAPass()
    {
        await using var store = TestStore.Create();
        await SummaryFixture.CommitDayAsync(store, D, skip: [40, 41, 42]);

        var summary = await SummaryFixture.Builder(store, NextMorning(D)).BuildAsync(D, null, [], CancellationToken.None);

        var cc81 = Criterion(summary, "CC8.1");
        Assert.AreEqual(Status.Error, cc81.Status);
        StringAssert.Contains(string.Join(" ", cc81.Reasons), "3 of 96 windows missing");
        Assert.AreEqual("missing", summary.Streams.Single().Hours[10]);
    }

    [TestMethod]
    public async Task ACollectorFailureIsAnErrorWithItsReason()
    {
        await using var store = TestStore.Create();
        await SummaryFixture.CommitDayAsync(store, D, fail: [60]);

        var summary = await SummaryFixture.Builder(store, NextMorning(D)).BuildAsync(D, null, [], CancellationToken.None);

        var cc81 = Criterion(summary, "CC8.1");
        Assert.AreEqual(Status.Error, cc81.Status);
        StringAssert.Contains(string.Join(" ", cc81.Reasons), "Reader role");
        Assert.AreEqual("error", summary.Streams.Single().Hours[15]);
        Assert.HasCount(1, summary.Streams.Single().ErrorRecords);
    }

    [TestMethod]
    public async Task StaleEvidenceIsAnError()
    {
        await using var store = TestStore.Create();
        await SummaryFixture.CommitDayAsync(store, D);

        var summary = await SummaryFixture.Builder(store, new ShiftedClock(DateTimeOffset.UtcNow.AddHours(3))).BuildAsync(D, null, [], CancellationToken.None);

        Assert.IsTrue(summary.Streams.Single().Stale);
        Assert.AreEqual(Status.Error, Criterion(summary, "CC8.1").Status);
        StringAssert.Contains(string.Join(" ", Criterion(summary, "CC8.1").Reasons), "stale");
    }

    [TestMethod]
    public async Task UnenforcedImmutabilityIsAnErrorOutsideTheEmulator()
    {
        await using var store = TestStore.Create();
        await SummaryFixture.CommitDayAsync(store, D);

        var onEmulator = await SummaryFixture.Builder(store, NextMorning(D), emulator: true).BuildAsync(D, null, [], CancellationToken.None);
        var onAzure = await SummaryFixture.Builder(store, NextMorning(D), emulator: false).BuildAsync(D, null, [], CancellationToken.None);

        Assert.AreEqual(Status.Pass, Criterion(onEmulator, "CC8.1").Status);
        Assert.AreEqual(Status.Error, Criterion(onAzure, "CC8.1").Status);
        StringAssert.Contains(string.Join(" ", Criterion(onAzure, "CC8.1").Reasons), "immutability not enforced");
    }

    [TestMethod]
    public async Task DriftAcrossTwoDaysSaysWhatIsNewFixedAndStillFailing()
    {
        await using var store = TestStore.Create();
        var d1 = SummaryFixture.Day(1);
        var d2 = SummaryFixture.Day(2);
        await SummaryFixture.CommitDayAsync(store, d1, violations: new()
        {
            [5] = SummaryFixture.OutOfBand("oob-day1", SummaryFixture.Start(d1).AddMinutes(80)),
            [6] = SummaryFixture.SelfProtection("self-day1", SummaryFixture.Start(d1).AddMinutes(95)),
        });
        await SummaryFixture.CommitDayAsync(store, d2, violations: new()
        {
            [7] = SummaryFixture.OutOfBand("oob-day2", SummaryFixture.Start(d2).AddMinutes(110)),
            [8] = SummaryFixture.RoleChange("role-day2", SummaryFixture.Start(d2).AddMinutes(125)),
        });

        var first = await SummaryFixture.Builder(store, NextMorning(d1)).BuildAsync(d1, null, [], CancellationToken.None);
        var second = await SummaryFixture.Builder(store, NextMorning(d2)).BuildAsync(d2, first, [], CancellationToken.None);

        CollectionAssert.AreEquivalent(new[] { "CC6.3" }, second.Drift.NewFailures.ToArray());
        CollectionAssert.AreEquivalent(new[] { "CC7.2" }, second.Drift.Fixed.ToArray());
        Assert.AreEqual("CC8.1", second.Drift.StillFailing.Single().Criterion);
        Assert.AreEqual(2, second.Drift.StillFailing.Single().Days);
        Assert.AreEqual(2, second.Drift.NewFindings);
        Assert.AreEqual(2, second.Drift.ResolvedFindings);
        Assert.AreEqual(1, second.Totals.NewFail);
        StringAssert.Contains(second.Subject, "2 FAIL (1 new)");
    }
}
