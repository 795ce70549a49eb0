using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collectors.DrTests;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.Tests.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.DrTests;

[TestClass]
public sealed class DrTestsEventRouteTests
{
    [TestMethod]
    [DataRow("eventgrid_cloudevent_storage_blobcreated.json")]
    [DataRow("eventgrid_egevent_resources_resourcewritesuccess.json")]
    [DataRow("eventgrid_egevent_policyinsights_policystatechanged.json")]
    public void ThePublishedEventGridExamplesParseInBothSchemas(string fixture)
    {
        var published = JsonNode.Parse(MicrosoftFixtures.Bytes(fixture))!.AsArray()[0]!.AsObject();
        var cloud = published.ContainsKey("specversion") ? published : new JsonObject
        {
            ["specversion"] = "1.0", ["id"] = published["id"]!.DeepClone(), ["source"] = published["topic"]!.DeepClone(), ["subject"] = published["subject"]!.DeepClone(),
            ["type"] = published["eventType"]!.DeepClone(), ["time"] = published["eventTime"]!.DeepClone(), ["data"] = published["data"]!.DeepClone(),
        };
        var eventGrid = published.ContainsKey("eventType") ? published : new JsonObject
        {
            ["id"] = published["id"]!.DeepClone(), ["topic"] = published["source"]!.DeepClone(), ["subject"] = published["subject"]!.DeepClone(),
            ["eventType"] = published["type"]!.DeepClone(), ["eventTime"] = published["time"]!.DeepClone(), ["data"] = published["data"]!.DeepClone(),
            ["dataVersion"] = string.Empty, ["metadataVersion"] = "1",
        };

        foreach (var (node, schema) in new[] { (cloud, EventSchema.CloudEvents), (eventGrid, EventSchema.EventGrid) })
        {
            var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
            using var document = JsonDocument.Parse(bytes);
            var (envelope, reason) = EventEnvelope.Read(0, document.RootElement, bytes);
            Assert.IsNotNull(envelope, reason);
            Assert.AreEqual(schema, envelope.Schema);
            Assert.AreEqual(published["id"]!.GetValue<string>(), envelope.Id);
            Assert.IsNotNull(envelope.Time);
            Assert.AreEqual(JsonValueKind.Object, envelope.Data!.Value.ValueKind);
        }
    }

    [TestMethod]
    public async Task TheDocumentedExamplesAreValidAgainstTheSchemaAndStoredRawInTheDrTestsStream()
    {
        await using var store = TestStore.Create();

        // The examples' drills ended 2026-11-20T14:48Z and 2026-11-21T09:35Z; both are delivered within a day.
        var handler = DrTestsHarness.Handler(store, new ShiftedClock(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero)));
        var schema = ManifestSchemaTests.Load("collectors.drtest.v1.schema.json");
        foreach (var name in new[] { "dr-test-completed.json", "dr-test-completed.cloudevent.json" })
        {
            var bytes = DrTestsHarness.Example(name);
            var data = JsonDocument.Parse(bytes).RootElement.GetProperty("data");
            Assert.IsTrue(schema.Evaluate(data).IsValid, name);

            var raw = await handler.HandleAsync(DrTestsHarness.Queue, new BinaryData(bytes), CancellationToken.None);
            var again = await handler.HandleAsync(DrTestsHarness.Queue, BinaryData.FromString(Convert.ToBase64String(bytes)), CancellationToken.None);
            Assert.AreEqual(1, raw.Accepted, raw.Reason);
            Assert.AreEqual(1, again.Duplicates, again.Reason);
            StringAssert.StartsWith(raw.Events[0].Manifest, "dr-tests/drills/2026/11/2");
            var manifest = new CommittedManifest(raw.Events[0].Manifest!, (await store.Evidence.GetBlobClient(raw.Events[0].Manifest).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!);
            var record = await new EvidenceReader(store.Evidence).RecordsAsync(manifest, CancellationToken.None).SingleAsync();
            Assert.IsTrue(JsonNode.DeepEquals(JsonNode.Parse(bytes), JsonNode.Parse(record.Json.Span)), name);
            CollectionAssert.AreEqual(new[] { "A1.2", "A1.3" }, manifest.Manifest.Criteria.ToArray());
        }
    }

    [TestMethod]
    [DataRow("endedBeforeStarted", "is before data.startedAt")]
    [DataRow("negativeRto", "data.achievedRtoMinutes -5 is negative")]
    [DataRow("negativeTarget", "data.targetRpoMinutes -1 is negative")]
    [DataRow("futureEnd", "lies in the future")]
    [DataRow("futureEventTime", "the event time")]
    [DataRow("missingWorkload", "data.workload is missing")]
    [DataRow("numericWorkload", "data.workload must be a non-empty string")]
    [DataRow("stringRto", "data.achievedRtoMinutes must be a number")]
    [DataRow("unknownScenario", "data.scenario 'volcano' is not one of")]
    [DataRow("unknownResult", "data.result 'ok' is not one of")]
    [DataRow("localTime", "data.endedAt must be an RFC 3339 timestamp with a time zone")]
    [DataRow("badLink", "data.links[0] is not an absolute http(s) URL")]
    [DataRow("dataArray", "data is a JSON array")]
    [DataRow("oversized", "more than the 32768 a DR test report may take")]
    [DataRow("passedWithoutAchieved", "data.achievedRpoMinutes is missing")]
    public async Task ImpossibleOrMistypedReportsAreRefusedWithTheirReason(string kind, string reason)
    {
        await using var store = TestStore.Create();
        var handler = DrTestsHarness.Handler(store);
        var ended = DateTimeOffset.UtcNow.AddHours(-2);
        var data = DrTestsHarness.Data("d-" + kind, "payments", ended);
        DateTimeOffset? time = null;
        JsonNode payload = data;
        switch (kind)
        {
            case "endedBeforeStarted": data["startedAt"] = DrTestsHarness.Iso(ended.AddHours(1)); break;
            case "negativeRto": data["achievedRtoMinutes"] = -5; break;
            case "negativeTarget": data["targetRpoMinutes"] = -1; break;
            case "futureEnd": data["endedAt"] = DrTestsHarness.Iso(DateTimeOffset.UtcNow.AddDays(2)); break;
            case "futureEventTime": time = DateTimeOffset.UtcNow.AddHours(3); break;
            case "missingWorkload": data.Remove("workload"); break;
            case "numericWorkload": data["workload"] = 42; break;
            case "stringRto": data["achievedRtoMinutes"] = "30"; break;
            case "unknownScenario": data["scenario"] = "volcano"; break;
            case "unknownResult": data["result"] = "ok"; break;
            case "localTime": data["endedAt"] = "2026-11-20T14:48:00"; break;
            case "badLink": data["links"] = new JsonArray("not a url"); break;
            case "dataArray": payload = new JsonArray(1, 2); break;
            case "oversized": data["notes"] = new string('x', 40_000); break;
            case "passedWithoutAchieved": data.Remove("achievedRpoMinutes"); break;
        }

        var result = await handler.HandleAsync(DrTestsHarness.Queue, BinaryData.FromString(DrTestsHarness.CloudEvent("e-" + kind, payload, time: time).ToJsonString()), CancellationToken.None);

        Assert.AreEqual(0, result.Accepted);
        Assert.IsNotNull(result.RejectionRecord);
        StringAssert.Contains(result.Reason, reason);
        StringAssert.StartsWith(result.RejectionRecord, "rejections/dr-tests/");
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix));
    }

    [TestMethod]
    [DataRow("2026-11-20T14:48:00.123456789Z")]
    [DataRow("2026-11-20T16:48:00+02:00")]
    [DataRow("2026-11-20t14:48:00.5z")]
    public async Task Rfc3339TimesWithAnyFractionOrOffsetAreAcceptedAndOrderedInUtc(string endedAt)
    {
        await using var store = TestStore.Create();
        var data = DrTestsHarness.Data("d1", "payments", new DateTimeOffset(2026, 11, 20, 14, 48, 0, TimeSpan.Zero));
        data["endedAt"] = endedAt;

        var handler = DrTestsHarness.Handler(store, new ShiftedClock(new DateTimeOffset(2026, 11, 20, 15, 0, 0, TimeSpan.Zero)));
        var result = await handler.HandleAsync(DrTestsHarness.Queue, BinaryData.FromString(DrTestsHarness.EventGrid("e1", data, time: new DateTimeOffset(2026, 11, 20, 14, 50, 0, TimeSpan.Zero)).ToJsonString()), CancellationToken.None);

        Assert.AreEqual(1, result.Accepted, result.Reason);
        StringAssert.StartsWith(result.Events[0].Manifest, "dr-tests/drills/2026/11/20/20261120T144800Z_20261120T144801Z.event-");
    }

    [TestMethod]
    public async Task AFailedDrillNeedNotStateWhatItAchieved()
    {
        await using var store = TestStore.Create();
        var data = DrTestsHarness.Data("d1", "payments", DateTimeOffset.UtcNow.AddHours(-2), result: "failed");
        data.Remove("achievedRtoMinutes");
        data["achievedRpoMinutes"] = null;

        var result = await DrTestsHarness.Handler(store).HandleAsync(DrTestsHarness.Queue, BinaryData.FromString(DrTestsHarness.EventGrid("e1", data).ToJsonString()), CancellationToken.None);

        Assert.AreEqual(1, result.Accepted, result.Reason);
    }
}
