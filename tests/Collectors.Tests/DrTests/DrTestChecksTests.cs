using System.Text.Json.Nodes;
using Collectors.DrTests;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Collectors.Tests.DrTests;

[TestClass]
public sealed class DrTestChecksTests
{
    [TestMethod]
    public async Task PlantedOverdueFailedAndOverTargetDrillsAreFoundAndNoOthers()
    {
        await using var store = TestStore.Create();
        // Drills of the last 200 days, stored at once as a backfill would be: the age limit raised to a year.
        var handler = DrTestsHarness.Handler(store, events: new Collectors.Events.EventsOptions { MaxEventAgeHours = 24 * 365 });
        var today = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero);
        var events = new JsonArray(
            DrTestsHarness.EventGrid("p1", DrTestsHarness.Data("pay-1", "payments", today.AddDays(-10))),
            DrTestsHarness.CloudEvent("o1", DrTestsHarness.Data("ord-1", "orders-db", today.AddDays(-45), scenario: "database-restore")),
            DrTestsHarness.EventGrid("s1", DrTestsHarness.Data("search-1", "search", today.AddDays(-20))),
            DrTestsHarness.CloudEvent("s2", DrTestsHarness.Data("search-2", "search", today.AddDays(-5), result: "failed")),
            DrTestsHarness.EventGrid("b1", DrTestsHarness.Data("bill-1", "billing", today.AddDays(-30), rto: 20)),
            DrTestsHarness.EventGrid("b2", DrTestsHarness.Data("bill-2", "billing", today.AddDays(-3), rto: 45)),
            DrTestsHarness.CloudEvent("a1", DrTestsHarness.Data("arch-1", "archive", today.AddDays(-2), result: "failed", scenario: "backup-restore")),
            DrTestsHarness.CloudEvent("w1", DrTestsHarness.Data("web-1", "web", today.AddDays(-1), rpo: 20)),
            DrTestsHarness.CloudEvent("w2", DrTestsHarness.Data("web-1", "web", today.AddHours(-20))),
            DrTestsHarness.EventGrid("x1", DrTestsHarness.Data("old-1", "old", today.AddDays(-200), result: "failed")));
        var ingested = await handler.HandleAsync(DrTestsHarness.Queue, BinaryData.FromString(events.ToJsonString()), CancellationToken.None);
        Assert.AreEqual(10, ingested.Accepted, ingested.Reason);
        var again = await handler.HandleAsync(DrTestsHarness.Queue, BinaryData.FromString(events.ToJsonString()), CancellationToken.None);
        Assert.AreEqual(10, again.Duplicates);

        var options = new DrTestsOptions
        {
            Workloads =
            [
                new() { Name = "payments" },
                new() { Name = "orders-db", RequiredIntervalDays = 30 },
                new() { Name = "Search" },
                new() { Name = "billing", RtoMinutes = 30 },
                new() { Name = "legacy" },
                new() { Name = "web", RpoMinutes = 15 },
            ],
        };
        var findings = await new DrTestChecks(Options.Create(options)).EvaluateAsync(new EvidenceReader(store.Evidence), new EvidenceStream(DrTestsEventRoute.Id, DrTestsEventRoute.Scope), today, today.AddDays(1), CancellationToken.None);

        var found = findings.Select(f => $"{f.Check} {f.Details!["workload"]}").Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(
            new[] { "dr-test-failed archive", "dr-test-failed search", "dr-test-over-target billing", "dr-test-overdue legacy", "dr-test-overdue orders-db" },
            found, string.Join(" | ", findings.Select(f => f.Item)));
        var overTarget = findings.Single(f => f.Check == DrTestChecks.OverTarget);
        StringAssert.Contains(overTarget.Item, "RTO 45 min > target 30 min");
        Assert.AreEqual("b2", overTarget.RecordId);
        StringAssert.StartsWith(overTarget.Manifest, "dr-tests/drills/");
        Assert.IsTrue(findings.All(f => f.Criterion == "A1.3"));
    }
}
