using System.Text.Json;
using Collectors.DefenderFindings;
using Collectors.Evidence;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.DefenderFindings;

[TestClass]
public sealed class DefenderEndToEndTests
{
    [TestMethod]
    public async Task TwoSnapshotsOfThreeSubscriptionsHoldTheWholePopulationAndTheChecksFindExactlyThePlantedRegressions()
    {
        var faults = FaultProfile.None with { ThrottleRate = 0.04, ServerErrorRate = 0.02, TruncateRate = 0.02, ResetRate = 0.01, RetryAfter = TimeSpan.FromMilliseconds(200) };
        await using var harness = await DefenderHarness.StartAsync(faults, subscriptions: 3, assessmentsPerSubscription: 8_500, quotaLimit: 12, quotaWindow: TimeSpan.FromSeconds(1));
        var scenario = harness.Defender;
        var subscriptions = harness.Simulator.Scenario.SubscriptionIds;
        var configuration = harness.Configuration();
        var reader = new EvidenceReader(harness.Store.Evidence);

        // A snapshot can only be labelled with the window of "now"; keep the CLI's snapshot off a grid boundary.
        var probe = harness.Collector(TimeProvider.System);
        var current = probe.WindowAt(DateTimeOffset.UtcNow);
        if (current.End - DateTimeOffset.UtcNow < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(current.End - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2));
            current = probe.WindowAt(DateTimeOffset.UtcNow);
        }

        // Snapshot 1, six hours ago (the collector over a clock set back), of the first state.
        var earlier = new ShiftedClock(DateTimeOffset.UtcNow.AddHours(-6));
        var first = await harness.Collector(earlier).SnapshotAsync(CancellationToken.None);
        Assert.AreEqual(3, first.Committed, string.Join("; ", first.Results.Select(r => r.Reason)));
        Assert.IsTrue(first.Results.All(r => r.Window == new TimeWindow(current.Start.AddHours(-6), current.Start)));

        // Snapshot 2, now, through the CLI, after the planted regressions.
        scenario.Generation = 1;
        var run = await CollectorsCommand.RunAsync(configuration, "run", "defender-findings");
        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "3 window(s) committed, 0 already committed, 0 failed");
        StringAssert.Contains(run.Output, $"labelled with window {current}");

        // The same window again commits nothing; the past cannot be snapshotted.
        var again = await CollectorsCommand.RunAsync(configuration, "run", "defender-findings");
        Assert.AreEqual(0, again.ExitCode, again.Output + again.Error);
        StringAssert.Contains(again.Output, "0 window(s) committed, 3 already committed, 0 failed");
        var past = await CollectorsCommand.RunAsync(configuration, "run", "defender-findings", "--from", TimeWindow.Iso(current.Start.AddDays(-1)), "--to", TimeWindow.Iso(current.Start));
        Assert.AreEqual(2, past.ExitCode);
        StringAssert.Contains(past.Error, "snapshots of the past cannot exist");

        // Each snapshot's population equals the ground truth, type by type, nothing missing and nothing twice.
        long assessments = 0;
        foreach (var (window, generation) in new[] { (current.Start.AddHours(-6), 0), (current.Start, 1) })
        {
            for (var s = 0; s < subscriptions.Count; s++)
            {
                var manifest = await SnapshotAsync(reader, DefenderFindingsCollector.StreamForSubscription(subscriptions[s]), window);
                var stored = new List<(string Type, string Id)>();
                await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
                {
                    stored.Add((EvidenceReader.ReadString(record.Json.Span, "type")!, EvidenceReader.ReadString(record.Json.Span, "id")!));
                }

                Assert.HasCount(stored.Distinct().Count(), stored, $"a row twice in {manifest.Name}");
                foreach (var types in new[]
                {
                    new[] { DefenderScenario.AssessmentType },
                    [DefenderScenario.AlertType],
                    [DefenderScenario.SecureScoreType, DefenderScenario.SecureScoreControlType],
                    [DefenderScenario.StandardType, DefenderScenario.ControlType, DefenderScenario.ComplianceAssessmentType],
                })
                {
                    CollectionAssert.AreEquivalent(scenario.Ids(generation, subscriptions[s], types).ToList(), stored.Where(r => types.Contains(r.Type)).Select(r => r.Id).ToList(), $"{string.Join("+", types)} of {subscriptions[s]} in generation {generation}");
                }

                Assert.HasCount(stored.Count, stored.Where(r => DefenderScenario.Types.Contains(r.Type)).ToList(), "nothing but the four populations");
                assessments += generation == 0 ? stored.Count(r => r.Type == DefenderScenario.AssessmentType) : 0;
                var requests = manifest.Manifest.Source.Requests;
                Assert.HasCount(4, requests);
                Assert.IsTrue(requests.All(r => r.Method == "POST" && r.ApiVersion == "2024-04-01" && r.Body!.Contains("securityresources", StringComparison.Ordinal) && r.Body.Contains("\"resultFormat\":\"objectArray\"", StringComparison.Ordinal)), "the query text is in the manifest");
                StringAssert.Contains(manifest.Manifest.Source.Note, "assessments");
                Assert.IsTrue(manifest.Manifest.Source.Complete);
            }
        }

        Assert.IsGreaterThanOrEqualTo(25_000, assessments, "at least 25,000 assessments in a snapshot");
        Assert.IsGreaterThan(0, harness.Simulator.Faults.Counts.GetValueOrDefault(Fault.Throttle), "429s happened and were retried");
        Assert.IsGreaterThan(0, harness.Simulator.Faults.Counts.GetValueOrDefault(Fault.Truncate), "bodies cut short happened and were fetched again");

        // The checks report exactly the planted regressions: the first snapshot is a baseline, the second is judged against it.
        var checks = new DefenderChecks(slaDays: 30, secureScoreDropPoints: 1.0);
        foreach (var (asOf, generation) in new[] { (current.Start, 0), (DateTimeOffset.UtcNow.AddMinutes(1), 1) })
        {
            var findings = new List<Collectors.Findings.Finding>();
            foreach (var subscription in subscriptions)
            {
                findings.AddRange(await checks.EvaluateLatestAsync(reader, DefenderFindingsCollector.StreamForSubscription(subscription), asOf, CancellationToken.None));
            }

            CollectionAssert.AreEquivalent(
                scenario.ExpectedFindings(generation).Select(f => $"{f.Check} {f.RecordId}").ToList(),
                findings.Select(f => $"{f.Check} {f.RecordId}").ToList(),
                $"generation {generation}");
            if (generation == 1)
            {
                var newOne = findings.First(f => f.Check == DefenderChecks.NewHighUnhealthy);
                StringAssert.StartsWith(newOne.RecordId, newOne.Details!["resourceId"], "the finding names the resource");
                Assert.IsTrue(findings.Where(f => f.Check == DefenderChecks.HighUnhealthyPastSla).All(f => int.Parse(f.Details!["ageDays"], System.Globalization.CultureInfo.InvariantCulture) >= 45));
            }
        }

        // A truncated response is an error record, never a partial snapshot.
        scenario.TruncateResults = true;
        var later = new ShiftedClock(DateTimeOffset.UtcNow.AddHours(6));
        var truncated = await harness.Collector(later).SnapshotAsync(CancellationToken.None);
        Assert.AreEqual(3, truncated.Failed);
        var failure = truncated.Results[0];
        StringAssert.Contains(failure.Reason, "resultTruncated: true");
        var error = (await harness.Store.Evidence.GetBlobClient(failure.ErrorRecord).DownloadContentAsync()).Value.Content.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options)!;
        Assert.AreEqual("ResultTruncated", error.ErrorCode);
        Assert.IsFalse(await harness.Store.Evidence.GetBlobClient(EvidencePaths.Manifest(failure.Stream, failure.Window)).ExistsAsync(), "no manifest for a truncated population");

        var verify = await CollectorsCommand.RunAsync(configuration, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
        StringAssert.Contains(verify.Output, "Error records (3)");
    }

    private static async Task<CommittedManifest> SnapshotAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset windowStart)
    {
        await foreach (var manifest in reader.ManifestsAsync(stream, windowStart, windowStart.AddMinutes(1), CancellationToken.None))
        {
            if (manifest.Manifest.Window.Start == windowStart && manifest.Manifest.Kind == "window")
            {
                return manifest;
            }
        }

        throw new AssertFailedException($"no snapshot of {stream} at {TimeWindow.Iso(windowStart)}");
    }
}
