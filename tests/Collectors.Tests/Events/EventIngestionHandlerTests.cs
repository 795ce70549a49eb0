using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.PolicyStates;
using Collectors.Tests.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Events;

[TestClass]
public sealed class EventIngestionHandlerTests
{
    private const string Subscription = "0b1f6471-1bf0-4dda-aec3-111122223333";

    [TestMethod]
    public async Task ThePublishedPolicyStateExampleIsAcceptedAsEventGridCloudEventsAndBase64AndStoredOnce()
    {
        await using var store = TestStore.Create();

        // Delivered soon after it happened: the example is of 2021-03-27T18:37:42Z.
        var handler = EventsHarness.Handler(store, new ShiftedClock(new DateTimeOffset(2021, 3, 27, 19, 0, 0, TimeSpan.Zero)));

        var eventGrid = await handler.HandleAsync(EventsHarness.Queue, new BinaryData(EventsHarness.PublishedPolicyEvent), CancellationToken.None);
        var blobs = await store.ListAsync();
        var asBase64 = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Base64(EventsHarness.PublishedPolicyEvent), CancellationToken.None);
        var cloud = await handler.HandleAsync(EventsHarness.Queue, BinaryData.FromBytes(EventsHarness.PublishedAsCloudEvent()), CancellationToken.None);
        CollectionAssert.AreEquivalent(blobs, await store.ListAsync(), "redelivery writes nothing");
        var cloudBase64 = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Base64(EventsHarness.PublishedAsCloudEvent("another-id")), CancellationToken.None);

        Assert.IsNull(eventGrid.RejectionRecord, eventGrid.Reason);
        Assert.AreEqual(1, eventGrid.Accepted);
        Assert.AreEqual(1, asBase64.Duplicates, "the same event id, Base64-encoded, is the same evidence");
        Assert.AreEqual(1, cloud.Duplicates, "the same event id as a CloudEvent is the same evidence");
        Assert.AreEqual(1, cloudBase64.Accepted, cloudBase64.Reason);

        var manifestName = eventGrid.Events[0].Manifest!;
        StringAssert.StartsWith(manifestName, $"policy-states/{PolicyStatesEventRoute.UnknownScope}/2021/03/27/20210327T183742Z_20210327T183743Z.event-");
        var reader = new EvidenceReader(store.Evidence);
        var stream = new EvidenceStream(PolicyStatesEventRoute.Id, PolicyStatesEventRoute.UnknownScope);
        var manifests = await reader.ManifestsAsync(stream, new DateTimeOffset(2021, 3, 27, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2021, 3, 28, 0, 0, 0, TimeSpan.Zero), CancellationToken.None).ToListAsync();
        Assert.HasCount(2, manifests);
        var first = manifests.Single(m => m.Name == manifestName);
        Assert.AreEqual("event", first.Manifest.Kind);
        Assert.AreEqual("QUEUE", first.Manifest.Source.Requests.Single().Method);
        StringAssert.Contains(first.Manifest.Source.Note, "ordered by 2021-03-27T18:37:42.4496956Z");
        var record = await reader.RecordsAsync(first, CancellationToken.None).SingleAsync();
        var published = JsonNode.Parse(EventsHarness.PublishedPolicyEvent)!.AsArray()[0]!;
        Assert.IsTrue(JsonNode.DeepEquals(published, JsonNode.Parse(record.Json.Span)), "stored as delivered (whitespace between tokens aside)");

        var schema = ManifestSchemaTests.Load("collectors.evidence.v1.schema.json");
        foreach (var manifest in manifests)
        {
            var json = (await store.Evidence.GetBlobClient(manifest.Name).DownloadContentAsync()).Value.Content.ToString();
            Assert.IsTrue(schema.Evaluate(JsonDocument.Parse(json).RootElement).IsValid, manifest.Name);
        }
    }

    [TestMethod]
    public async Task EventsOfARealSubscriptionGoToItsStreamInOrderOfDataTimestamp()
    {
        await using var store = TestStore.Create();
        var t = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        var handler = EventsHarness.Handler(store, new ShiftedClock(t.AddHours(1)));
        var batch = new JsonArray(
            EventsHarness.PolicyEvent("e3", Subscription, t.AddMinutes(3)),
            EventsHarness.PolicyEvent("e1", Subscription, t.AddSeconds(1), state: "Compliant"),
            EventsHarness.PolicyEvent("e2", Subscription, t.AddMinutes(2), type: PolicyStatesEventRoute.StateCreated),
            EventsHarness.PolicyEvent("e1", Subscription, t.AddSeconds(1), state: "Compliant"));

        var result = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(batch), CancellationToken.None);

        Assert.AreEqual(3, result.Accepted);
        Assert.AreEqual(1, result.Duplicates, "an id twice in one message is stored once");
        var stream = new EvidenceStream(PolicyStatesEventRoute.Id, $"sub-{Subscription}");
        var names = (await store.ListAsync(EvidencePaths.ManifestSuffix)).ToList();
        Assert.IsTrue(names.All(n => n.StartsWith(stream.Name + "/2026/11/25/", StringComparison.Ordinal)));
        var reader = new EvidenceReader(store.Evidence);
        var ids = new List<string>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var manifest = await reader.ManifestsAsync(stream, t, t.AddHours(1), CancellationToken.None).SingleAsync(m => m.Name == name);
            ids.Add(EvidenceReader.ReadString((await reader.RecordsAsync(manifest, CancellationToken.None).SingleAsync()).Json.Span, "id")!);
        }

        CollectionAssert.AreEqual(new[] { "e1", "e2", "e3" }, ids, "blob names sort by data.timestamp");
        var checkpoint = await store.Writer.ReadCheckpointAsync(stream, CancellationToken.None);
        Assert.AreEqual(2, checkpoint.Head!.Sequence, "event manifests are one hash chain");
        Assert.IsNull(checkpoint.NextWindowStart, "events do not move a timer's cursor");

        var findings = await new PolicyStateChecks().EvaluateAsync(reader, stream, t, t.AddHours(1), CancellationToken.None);
        CollectionAssert.AreEquivalent(new[] { "e2", "e3" }, findings.Select(f => f.RecordId).ToList(), "created or changed to NonCompliant; the compliant one is no finding");
        Assert.AreEqual($"/subscriptions/{Subscription}/resourceGroups/rg-web-prod/providers/Microsoft.Compute/virtualMachines/vm1", findings[0].Details!["resourceId"]);

        var verify = await CollectorsCommand.RunAsync(new Dictionary<string, string?> { ["Evidence:ConnectionString"] = store.Options.ConnectionString, ["Evidence:Container"] = store.Options.Container }, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.Output);
    }

    [TestMethod]
    public async Task BadMessagesNeverThrowAndEachLeavesAWriteOnceRejectionRecord()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var good = EventsHarness.PolicyEvent("good-1", Subscription, DateTimeOffset.UtcNow);
        var noTimestamp = EventsHarness.PolicyEvent("bad-1", Subscription, DateTimeOffset.UtcNow);
        noTimestamp["data"]!.AsObject().Remove("timestamp");
        var cases = new Dictionary<string, (BinaryData Message, string Reason)>
        {
            ["empty"] = (BinaryData.FromString("  "), "empty"),
            ["not JSON"] = (BinaryData.FromString("hello, queue"), "neither JSON"),
            ["Base64 of text"] = (EventsHarness.Base64(Encoding.UTF8.GetBytes("not json at all")), "not JSON"),
            ["cut short"] = (BinaryData.FromString("{\"id\":\"x\",\"eventType\":"), "not valid JSON"),
            ["empty array"] = (BinaryData.FromString("[]"), "empty JSON array"),
            ["no schema"] = (BinaryData.FromString("{\"hello\":\"world\"}"), "neither a CloudEvents 1.0 event"),
            ["old CloudEvents"] = (BinaryData.FromString("{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"/x\",\"type\":\"t\"}"), "only CloudEvents 1.0"),
            ["unknown type"] = (new BinaryData(MicrosoftFixtures.Bytes("eventgrid_cloudevent_storage_blobcreated.json")), "no evidence stream takes events of type 'Microsoft.Storage.BlobCreated'"),
            ["no timestamp"] = (EventsHarness.Message(noTimestamp), "no readable data.timestamp"),
            ["not an object"] = (BinaryData.FromString("[42]"), "not an object"),
            ["invalid UTF-8"] = (BinaryData.FromBytes([0xff, 0xfe, 0x00, 0x41]), "neither JSON"),
        };

        foreach (var (name, (message, reason)) in cases)
        {
            var result = await handler.HandleAsync(EventsHarness.Queue, message, CancellationToken.None);

            Assert.IsNotNull(result.RejectionRecord, name);
            Assert.AreEqual(0, result.Accepted, name);
            StringAssert.Contains(result.Reason, reason, name);
            var record = (await store.Evidence.GetBlobClient(result.RejectionRecord).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;
            StringAssert.Contains(record.Reason, reason, name);
            var raw = record.Message.Text is { } text ? Encoding.UTF8.GetBytes(text) : Convert.FromBase64String(record.Message.Base64!);
            CollectionAssert.AreEqual(message.ToArray(), raw, $"{name}: the raw message is kept");
            StringAssert.StartsWith(result.RejectionRecord, $"rejections/policy-states/{DateTimeOffset.UtcNow:yyyy}/");
        }

        // A message that mixes a good and a bad event: the good one is stored, the bad one recorded.
        var mixed = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(new JsonArray(good, noTimestamp.DeepClone())), CancellationToken.None);
        Assert.AreEqual(1, mixed.Accepted);
        Assert.IsNotNull(mixed.RejectionRecord);
        var mixedRecord = (await store.Evidence.GetBlobClient(mixed.RejectionRecord).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;
        Assert.AreEqual(1, mixedRecord.AcceptedEvents);
        Assert.AreEqual(1, mixedRecord.Events.Single().Index);
        Assert.AreEqual("bad-1", mixedRecord.Events.Single().Id);

        // The same bad message delivered again finds its record; nothing is overwritten.
        var again = await handler.HandleAsync(EventsHarness.Queue, cases["not JSON"].Message, CancellationToken.None);
        var rejections = (await store.ListAsync(EvidencePaths.RejectionSuffix)).Count;
        Assert.AreEqual(cases.Count + 1, rejections, "one record per distinct message");
        Assert.IsNotNull(again.RejectionRecord);

        var schema = ManifestSchemaTests.Load("collectors.rejection.v1.schema.json");
        foreach (var name in await store.ListAsync(EvidencePaths.RejectionSuffix))
        {
            var json = (await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();
            Assert.IsTrue(schema.Evaluate(JsonDocument.Parse(json).RootElement).IsValid, name);
        }

        var verify = await CollectorsCommand.RunAsync(new Dictionary<string, string?> { ["Evidence:ConnectionString"] = store.Options.ConnectionString, ["Evidence:Container"] = store.Options.Container }, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.Output);
        StringAssert.Contains(verify.Output, $"Rejected messages ({rejections})");
    }

    [TestMethod]
    public async Task AStorageFailureThrowsSoTheQueueRetriesTheMessageAndTheRetryStoresIt()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var warmUp = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(EventsHarness.PolicyEvent("warm-up", Subscription, DateTimeOffset.UtcNow)), CancellationToken.None);
        Assert.AreEqual(1, warmUp.Accepted);
        var message = EventsHarness.Message(EventsHarness.PolicyEvent("during-outage", Subscription, DateTimeOffset.UtcNow));

        // The evidence container disappears under a running worker: every write now fails.
        await store.Evidence.DeleteAsync();
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => handler.HandleAsync(EventsHarness.Queue, message, CancellationToken.None));
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => handler.HandleAsync(EventsHarness.Queue, BinaryData.FromString("not json"), CancellationToken.None), "a rejection that cannot be recorded must not complete the message either");

        // The queue delivers it again once storage is back.
        await store.Evidence.CreateAsync();
        var retried = await handler.HandleAsync(EventsHarness.Queue, message, CancellationToken.None);
        Assert.AreEqual(1, retried.Accepted);
    }

    [TestMethod]
    public async Task AnotherStreamPlugsInItsOwnEventTypeAndValidation()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store, new ShiftedClock(new DateTimeOffset(2026, 11, 25, 9, 5, 0, TimeSpan.Zero)), null, null, new DrillRoute());
        var drill = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = "drill-2026-11-25",
            ["source"] = "/contoso/dr",
            ["type"] = "Contoso.DrTest.Completed",
            ["time"] = "2026-11-25T09:00:00Z",
            ["data"] = new JsonObject { ["system"] = "payments", ["passed"] = true },
        };
        var invalid = drill.DeepClone();
        invalid["id"] = "drill-2";
        invalid["data"]!.AsObject().Remove("system");

        var ok = await handler.HandleAsync(EventOrigin.Queue("dr-tests"), EventsHarness.Message(drill), CancellationToken.None);
        var refused = await handler.HandleAsync(EventOrigin.Queue("dr-tests"), EventsHarness.Message(invalid), CancellationToken.None);

        Assert.AreEqual(1, ok.Accepted);
        StringAssert.StartsWith(ok.Events[0].Manifest, "dr-tests/system-payments/2026/11/25/20261125T090000Z_20261125T090001Z.event-");
        StringAssert.Contains(refused.Reason, "data.system is required");
        StringAssert.StartsWith(refused.RejectionRecord, "rejections/dr-tests/");
    }

    [TestMethod]
    public async Task TheCliIngestsAFileWithTheSameHandler()
    {
        await using var store = TestStore.Create();
        var settings = new Dictionary<string, string?>
        {
            ["Evidence:ConnectionString"] = store.Options.ConnectionString,
            ["Evidence:Container"] = store.Options.Container,
            ["Evidence:StateContainer"] = store.Options.StateContainer,

            // The published example is of 2021: stored as an old event is re-ingested, with the age limit raised.
            ["Collectors:Events:MaxEventAgeHours"] = "87600",
        };
        var directory = Directory.CreateTempSubdirectory("collectors-events-");
        var file = Path.Combine(directory.FullName, "policy-event.json");
        await File.WriteAllBytesAsync(file, EventsHarness.PublishedPolicyEvent);
        var bad = Path.Combine(directory.FullName, "bad.txt");
        await File.WriteAllTextAsync(bad, "definitely not an event");

        var first = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", file);
        var second = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", file);
        var refused = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", bad);
        var missing = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", Path.Combine(directory.FullName, "nope.json"));

        Assert.AreEqual(0, first.ExitCode, first.Output + first.Error);
        StringAssert.Contains(first.Output, "1 event(s) committed, 0 already committed, 0 refused");
        Assert.AreEqual(0, second.ExitCode, second.Output + second.Error);
        StringAssert.Contains(second.Output, "0 event(s) committed, 1 already committed");
        Assert.AreEqual(1, refused.ExitCode, refused.Output + refused.Error);
        StringAssert.Contains(refused.Output, "rejection record: rejections/cli/");
        Assert.AreEqual(2, missing.ExitCode);
        directory.Delete(recursive: true);
    }

    /// <summary>What the DR issue's route looks like: its own event type, stream and validation.</summary>
    private sealed class DrillRoute : IEventRoute
    {
        public string Collector => "dr-tests";

        public IReadOnlyList<string> Criteria => ["A1.3"];

        public IReadOnlyCollection<string> EventTypes => ["Contoso.DrTest.Completed"];

        public EventPlacement Place(EventEnvelope envelope) =>
            envelope.DataString("system") is { Length: > 0 } system && envelope.Time is { } time
                ? EventPlacement.Accept($"system-{system}", time)
                : EventPlacement.Reject("data.system is required and the event needs a time");
    }
}
