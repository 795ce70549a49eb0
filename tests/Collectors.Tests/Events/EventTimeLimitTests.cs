using System.Text;
using System.Text.Json.Nodes;
using Collectors.DrTests;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.Tests.DrTests;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Events;

/// <summary>Every route's events must be ordered near now: by default no more than a day old and no more than a day ahead.</summary>
[TestClass]
public sealed class EventTimeLimitTests
{
    private const string Subscription = "0b1f6471-1bf0-4dda-aec3-111122223333";
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [TestMethod]
    public async Task EveryRouteRefusesAnEventOrderedMoreThanADayBeforeOrAheadOfNow()
    {
        await using var store = TestStore.Create();
        var clock = new ShiftedClock(Now);
        var handler = DrTestsHarness.Handler(store, clock);
        var cases = new (string Name, JsonObject Event, string? Refusal)[]
        {
            ("policy, 25 h old", EventsHarness.PolicyEvent("p-old", Subscription, Now.AddHours(-25)), "more than 24 hours old (Collectors__Events__MaxEventAgeHours)"),
            ("policy, 23 h old", EventsHarness.PolicyEvent("p-recent", Subscription, Now.AddHours(-23)), null),
            ("policy, 23 h ahead", EventsHarness.PolicyEvent("p-ahead", Subscription, Now.AddHours(23)), null),
            ("policy, 25 h ahead", EventsHarness.PolicyEvent("p-future", Subscription, Now.AddHours(25)), "more than 24 hours in the future (Collectors__Events__MaxFutureHours)"),
            ("drill, 25 h old", DrTestsHarness.CloudEvent("d-old", DrTestsHarness.Data("d-old", "payments", Now.AddHours(-25)), time: Now.AddMinutes(-1)), "more than 24 hours old"),
            ("drill, 23 h old", DrTestsHarness.EventGrid("d-recent", DrTestsHarness.Data("d-recent", "payments", Now.AddHours(-23)), time: Now.AddMinutes(-1)), null),
            ("drill, 10 min ahead", DrTestsHarness.CloudEvent("d-ahead", DrTestsHarness.Data("d-ahead", "payments", Now.AddMinutes(10)), time: Now.AddMinutes(-1)), "data.endedAt 2026-11-25T12:10:00.0000000Z lies in the future"),
        };

        foreach (var (name, e, refusal) in cases)
        {
            var message = EventsHarness.Message(e);
            var result = await handler.HandleAsync(EventsHarness.Queue, message, CancellationToken.None);

            if (refusal is null)
            {
                Assert.AreEqual(1, result.Accepted, $"{name}: {result.Reason}");
                continue;
            }

            Assert.AreEqual(0, result.Accepted, name);
            StringAssert.Contains(result.Reason, refusal, name);
            var record = (await store.Evidence.GetBlobClient(result.RejectionRecord).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;
            Assert.AreEqual(message.ToString(), record.Message.Text, $"{name}: the raw message is kept, to be re-ingested");
        }

        var old = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(cases[0].Event), CancellationToken.None);
        StringAssert.Contains(old.Reason, "re-ingest this record's message with a higher limit");
        Assert.HasCount(3, await store.ListAsync(EvidencePaths.ManifestSuffix));
    }

    [TestMethod]
    public async Task TheLimitsAreSettings()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store, new ShiftedClock(Now), new EventsOptions { MaxEventAgeHours = 48, MaxFutureHours = 0 });

        var twoDays = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(EventsHarness.PolicyEvent("a", Subscription, Now.AddHours(-47))), CancellationToken.None);
        var threeDays = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(EventsHarness.PolicyEvent("b", Subscription, Now.AddHours(-49))), CancellationToken.None);
        var ahead = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(EventsHarness.PolicyEvent("c", Subscription, Now.AddMinutes(5))), CancellationToken.None);

        Assert.AreEqual(1, twoDays.Accepted, twoDays.Reason);
        StringAssert.Contains(threeDays.Reason, "more than 48 hours old");
        StringAssert.Contains(ahead.Reason, "more than 0 hours in the future");
    }

    [TestMethod]
    public async Task AnOldEventRefusedAfterAnOutageIsStoredByReingestingItsRecordWithAHigherLimit()
    {
        await using var store = TestStore.Create();
        var settings = new Dictionary<string, string?> { ["Evidence:ConnectionString"] = store.Options.ConnectionString, ["Evidence:Container"] = store.Options.Container, ["Evidence:StateContainer"] = store.Options.StateContainer };
        var directory = Directory.CreateTempSubdirectory("collectors-events-");
        var file = Path.Combine(directory.FullName, "delivered-after-outage.json");
        var e = EventsHarness.PolicyEvent("after-outage", Subscription, DateTimeOffset.UtcNow.AddDays(-3));
        await File.WriteAllTextAsync(file, DrTestsHarness.Base64(e.ToJsonString()));

        var refused = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", file);
        Assert.AreEqual(1, refused.ExitCode, refused.Output + refused.Error);
        var recordName = (await store.ListAsync(EvidencePaths.RejectionSuffix)).Single();
        var record = (await store.Evidence.GetBlobClient(recordName).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;

        // What docs/events.md says to do: the record's message, as it came, through ingest-event with a higher limit.
        var kept = Path.Combine(directory.FullName, "kept-message");
        await File.WriteAllBytesAsync(kept, record.Message.Text is { } text ? Encoding.UTF8.GetBytes(text) : Convert.FromBase64String(record.Message.Base64!));
        var reingested = await CollectorsCommand.RunAsync(new Dictionary<string, string?>(settings) { ["Collectors:Events:MaxEventAgeHours"] = "96" }, "ingest-event", "--file", kept);

        Assert.AreEqual(0, reingested.ExitCode, reingested.Output + reingested.Error);
        StringAssert.Contains(reingested.Output, "1 event(s) committed");
        Assert.HasCount(1, await store.ListAsync(EvidencePaths.ManifestSuffix));
        directory.Delete(recursive: true);
    }

    [TestMethod]
    public async Task ADrillReportedLateIsRefusedThoughItsOwnFutureRuleIsStricter()
    {
        await using var store = TestStore.Create();
        var handler = DrTestsHarness.Handler(store, new ShiftedClock(Now));
        var data = DrTestsHarness.Data("late", "payments", Now.AddDays(-2));

        var result = await handler.HandleAsync(DrTestsHarness.Queue, BinaryData.FromString(DrTestsHarness.EventGrid("late-1", data, DrTestsEventRoute.CompletedType, Now.AddMinutes(-2)).ToJsonString()), CancellationToken.None);

        StringAssert.Contains(result.Reason, "is ordered by 2026-11-23T12:00:00Z, more than 24 hours old");
        StringAssert.StartsWith(result.RejectionRecord, "rejections/dr-tests/2026/11/25/");
    }
}
