using Collectors.ActivityLog;
using Collectors.Evidence;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.ActivityLog;

[TestClass]
public sealed class ActivityLogEndToEndTests
{
    [TestMethod]
    public async Task ADayOfThreeSubscriptionsUnderFaultsCommitsExactlyTheGroundTruthOnce()
    {
        var faults = FaultProfile.Rough with { RetryAfter = TimeSpan.FromMilliseconds(250), SlowDelay = TimeSpan.FromMilliseconds(200) };
        await using var harness = await ActivityLogHarness.StartAsync(faults);
        var scenario = harness.Simulator.Scenario;
        var day = scenario.Options.DataStart;
        var configuration = harness.Configuration();

        var run = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--from", TimeWindow.Iso(day), "--to", TimeWindow.Iso(day.AddDays(1)));

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "288 window(s) committed, 0 already committed, 0 failed");
        Assert.HasCount(288, await harness.Store.ListAsync(EvidencePaths.ManifestSuffix), "3 subscriptions × 96 windows");

        // The faults really happened.
        var counts = harness.Simulator.Faults.Counts;
        var requests = (double)harness.Simulator.Faults.Requests;
        Assert.IsGreaterThanOrEqualTo(0.04, counts.GetValueOrDefault(Fault.Throttle) / requests, $"429s: {counts.GetValueOrDefault(Fault.Throttle)} of {requests}");
        Assert.IsGreaterThanOrEqualTo(0.008, counts.GetValueOrDefault(Fault.ServerError) / requests, $"5xx: {counts.GetValueOrDefault(Fault.ServerError)} of {requests}");
        Assert.IsGreaterThanOrEqualTo(1, counts.GetValueOrDefault(Fault.Reset), "connection resets");
        Assert.IsGreaterThanOrEqualTo(1, counts.GetValueOrDefault(Fault.Truncate), "truncated bodies");

        // The evidence is exactly the ground truth: nothing missing, nothing twice.
        var reader = new EvidenceReader(harness.Store.Evidence);
        foreach (var subscription in scenario.SubscriptionIds)
        {
            var truth = scenario.Events(subscription, day, day.AddDays(1).AddTicks(-1)).Select(e => e.EventDataId).ToList();
            var stored = new List<string>();
            await foreach (var manifest in reader.ManifestsAsync(ActivityLogCollector.StreamFor(subscription), day, day.AddDays(1), CancellationToken.None))
            {
                await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
                {
                    stored.Add(EvidenceReader.ReadString(record.Json.Span, "eventDataId")!);
                }
            }

            Assert.IsGreaterThanOrEqualTo(2000, truth.Count, "at least 2,000 events a day");
            Assert.HasCount(stored.Distinct().Count(), stored, $"duplicate eventDataId in {subscription}");
            CollectionAssert.AreEquivalent(truth, stored, $"subscription {subscription}");
        }

        var verify = await CollectorsCommand.RunAsync(configuration, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);

        // Every planted violation is found, and nothing else.
        var checks = new ActivityLogChecks(Principals.Approved, scenario.Options.EvidenceAccountName);
        var findings = new List<Collectors.Findings.Finding>();
        foreach (var subscription in scenario.SubscriptionIds)
        {
            findings.AddRange(await checks.EvaluateAsync(reader, ActivityLogCollector.StreamFor(subscription), day, day.AddDays(1), CancellationToken.None));
        }

        var expected = scenario.Violations.SelectMany(v => v.ExpectedChecks.Select(c => $"{c} {v.EventDataId}")).ToList();
        var actual = findings.Where(f => f.Check != ActivityLogChecks.FailedOperations).Select(f => $"{f.Check} {f.RecordId}").ToList();
        Assert.IsNotEmpty(expected);
        CollectionAssert.AreEquivalent(expected, actual);
        foreach (var subscription in scenario.SubscriptionIds)
        {
            var failedTruth = scenario.Events(subscription, day, day.AddDays(1).AddTicks(-1)).Count(e => e.Category == "Administrative" && e.Status == "Failed");
            var summary = findings.Single(f => f.Check == ActivityLogChecks.FailedOperations && f.Stream == ActivityLogCollector.StreamFor(subscription).Name);
            Assert.AreEqual(failedTruth.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Details!["count"]);
        }

        var planted = findings.First(f => f.Check == ActivityLogChecks.SelfProtection);
        var inManifest = false;
        await foreach (var record in reader.RecordsAsync(await ManifestAsync(reader, planted.Manifest!), CancellationToken.None))
        {
            inManifest |= EvidenceReader.ReadString(record.Json.Span, "eventDataId") == planted.RecordId;
        }

        Assert.IsTrue(inManifest, "a finding points at the manifest that holds its record");

        // The same range again commits nothing new.
        var before = await harness.Store.ListAsync();
        var again = await CollectorsCommand.RunAsync(configuration, "run", "activity-log", "--from", TimeWindow.Iso(day), "--to", TimeWindow.Iso(day.AddDays(1)));
        Assert.AreEqual(0, again.ExitCode, again.Output + again.Error);
        StringAssert.Contains(again.Output, "0 window(s) committed, 288 already committed, 0 failed");
        CollectionAssert.AreEquivalent(before, await harness.Store.ListAsync());
    }

    private static async Task<CommittedManifest> ManifestAsync(EvidenceReader reader, string name)
    {
        EvidencePaths.TryParse(name, out var parsed);
        await foreach (var manifest in reader.ManifestsAsync(parsed.Stream, parsed.Window.Start, parsed.Window.End, CancellationToken.None))
        {
            if (manifest.Name == name)
            {
                return manifest;
            }
        }

        throw new AssertFailedException($"{name} not found");
    }
}
