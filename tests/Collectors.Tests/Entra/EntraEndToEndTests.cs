using System.Text.Json;
using Collectors.Entra.DirectoryAudits;
using Collectors.Entra.SignIns;
using Collectors.Evidence;
using Collectors.Findings;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Graph;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Entra;

[TestClass]
public sealed class EntraEndToEndTests
{
    [TestMethod]
    public async Task SevenDaysUnderThrottlingEqualTheGroundTruthWithLateArrivalsInSupplements()
    {
        var day0 = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-12), TimeSpan.Zero);
        var clock = new ShiftedClock(day0.AddHours(3));
        var faults = FaultProfile.Rough with { RetryAfter = TimeSpan.FromMilliseconds(100), SlowDelay = TimeSpan.FromMilliseconds(50), IngestionLagMax = TimeSpan.Zero };
        await using var harness = await EntraHarness.StartAsync(new GraphScenarioOptions { DataStart = day0, Days = 7, SignInsPerHour = 90, DirectoryAuditsPerHour = 10 }, clock, faults);
        await using var host = await harness.HostAsync();

        // The timers, every six hours of simulated time, until the last day has been swept.
        var failures = 0;
        while (clock.GetUtcNow() < day0.AddDays(7).AddHours(10))
        {
            failures += (await host.Runtime.RunScheduledAsync(EntraSignInsCollector.Id, CancellationToken.None)).Failed;
            failures += (await host.Runtime.RunScheduledAsync(EntraDirectoryAuditsCollector.Id, CancellationToken.None)).Failed;
            clock.Start = clock.Start.AddHours(6);
        }

        Assert.AreEqual(0, failures);
        var graph = harness.Simulator.Graph;
        var tenant = await host.Get<Collectors.Entra.EntraAuditLogs>().TenantIdAsync(CancellationToken.None);
        var reader = new EvidenceReader(harness.Store.Evidence);

        var signInTruth = graph.Records(GraphScenario.SignIns, day0, day0.AddDays(7), "interactiveUser").ToList();
        var auditTruth = graph.Records(GraphScenario.DirectoryAudits, day0, day0.AddDays(7)).ToList();
        Assert.IsGreaterThanOrEqualTo(7 * 2000, signInTruth.Count);
        Assert.IsGreaterThanOrEqualTo(7 * 200, auditTruth.Count);

        var signInStream = EntraSignInsCollector.SourcesFor(new())[0].StreamFor(tenant);
        var (signInIds, supplements, supplementIds) = await StoredAsync(reader, signInStream, day0);
        Assert.HasCount(signInIds.Distinct().Count(), signInIds, "no sign-in stored twice");
        CollectionAssert.AreEquivalent(signInTruth.Select(r => r.Id).ToList(), signInIds);
        Assert.IsGreaterThan(0, supplements, "late arrivals land in supplements");
        var late = signInTruth.Where(r => r.VisibleAt > new DateTimeOffset(r.At.UtcTicks - (r.At.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero).AddHours(3)).Select(r => r.Id).ToHashSet();
        Assert.IsTrue(supplementIds.All(late.Contains), "a supplement holds only records that arrived after their window was collected");

        var (auditIds, _, _) = await StoredAsync(reader, EntraDirectoryAuditsCollector.Source.StreamFor(tenant), day0);
        CollectionAssert.AreEquivalent(auditTruth.Select(r => r.Id).ToList(), auditIds);

        var verify = await CollectorsCommand.RunAsync(harness.Configuration(), "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);

        // Planted violations (and the access-review population) are found, and nothing else.
        var findings = new List<Finding>();
        findings.AddRange(await new SignInChecks().EvaluateAsync(signInStream.Name, Records(reader, signInStream, day0), CancellationToken.None));
        var auditStream = EntraDirectoryAuditsCollector.Source.StreamFor(tenant);
        findings.AddRange(await new DirectoryAuditChecks().EvaluateAsync(auditStream.Name, Records(reader, auditStream, day0), CancellationToken.None));
        var expected = graph.Violations.SelectMany(v => v.ExpectedChecks.Select(c => $"{c} {v.RecordId}"))
            .Concat(auditTruth.Where(r => Activity(r) == "Add user").Select(r => $"{DirectoryAuditChecks.UserLifecycle} {r.Id}"))
            .ToList();
        CollectionAssert.AreEquivalent(expected, findings.Select(f => $"{f.Check} {f.RecordId}").ToList());
    }

    private static string? Activity(GraphRecord record)
    {
        using var document = JsonDocument.Parse(record.Json);
        return document.RootElement.GetProperty("activityDisplayName").GetString();
    }

    private static async Task<(List<string> Ids, int Supplements, List<string> SupplementIds)> StoredAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset day0)
    {
        var ids = new List<string>();
        var supplementIds = new List<string>();
        var supplements = 0;
        await foreach (var manifest in reader.ManifestsAsync(stream, day0, day0.AddDays(7), CancellationToken.None))
        {
            supplements += manifest.Manifest.Kind == "supplement" ? 1 : 0;
            await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
            {
                var id = EvidenceReader.ReadString(record.Json.Span, "id")!;
                ids.Add(id);
                if (manifest.Manifest.Kind == "supplement")
                {
                    supplementIds.Add(id);
                }
            }
        }

        return (ids, supplements, supplementIds);
    }

    private static async IAsyncEnumerable<EvidenceRecord> Records(EvidenceReader reader, EvidenceStream stream, DateTimeOffset day0)
    {
        await foreach (var manifest in reader.ManifestsAsync(stream, day0, day0.AddDays(7), CancellationToken.None))
        {
            await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
            {
                yield return record;
            }
        }
    }
}
