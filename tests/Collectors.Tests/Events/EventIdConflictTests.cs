using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.Tests.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Events;

/// <summary>An event id names its evidence: delivered again it is the same event, or a conflict that is recorded, never dropped.</summary>
[TestClass]
public sealed class EventIdConflictTests
{
    private const string Subscription = "0b1f6471-1bf0-4dda-aec3-111122223333";
    private static readonly DateTimeOffset At = DateTimeOffset.UtcNow.AddHours(-1);

    [TestMethod]
    [DataRow("EventGrid", "EventGrid", false)]
    [DataRow("EventGrid", "EventGrid", true)]
    [DataRow("EventGrid", "CloudEvents", false)]
    [DataRow("EventGrid", "CloudEvents", true)]
    [DataRow("CloudEvents", "CloudEvents", false)]
    [DataRow("CloudEvents", "CloudEvents", true)]
    [DataRow("CloudEvents", "EventGrid", false)]
    [DataRow("CloudEvents", "EventGrid", true)]
    public async Task AnIdReusedWithOtherContentIsAConflictRecordAndTheStoredEvidenceIsUntouched(string storedSchema, string receivedSchema, bool base64)
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var original = InSchema(EventsHarness.PolicyEvent("reused-1", Subscription, At, state: "NonCompliant"), storedSchema);
        var stored = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(original), CancellationToken.None);
        Assert.AreEqual(1, stored.Accepted, stored.Reason);
        var manifestName = stored.Events[0].Manifest!;
        var before = await SnapshotAsync(store);

        // Same id, same instant (so the same manifest name), other content: the state flipped to Compliant.
        var changed = InSchema(EventsHarness.PolicyEvent("reused-1", Subscription, At, state: "Compliant"), receivedSchema);
        var changedBytes = Encoding.UTF8.GetBytes(changed.ToJsonString());
        var result = await handler.HandleAsync(EventsHarness.Queue, base64 ? EventsHarness.Base64(changedBytes) : BinaryData.FromBytes(changedBytes), CancellationToken.None);

        Assert.AreEqual(0, result.Accepted);
        Assert.AreEqual(0, result.Duplicates, "not silently 'already committed'");
        Assert.IsNotNull(result.RejectionRecord);
        StringAssert.Contains(result.Reason, "reuses the id reused-1, already committed with different content as " + manifestName);
        StringAssert.Contains(result.Reason, "the stored evidence is unchanged");
        var record = (await store.Evidence.GetBlobClient(result.RejectionRecord).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;
        var conflict = record.Events.Single().Conflict;
        Assert.IsNotNull(conflict);
        var manifest = (await store.Evidence.GetBlobClient(manifestName).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;
        Assert.AreEqual(manifestName, conflict.Manifest);
        Assert.AreEqual(manifest.Content.UncompressedSha256, conflict.StoredSha256);
        Assert.AreEqual(manifest.Content.Sha256, conflict.StoredContentSha256);
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData([.. changedBytes, (byte)'\n'])), conflict.ReceivedSha256, "the received event hashed as it would have been stored");
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes(original.ToJsonString()), (byte)'\n'])), conflict.StoredSha256);

        var after = await SnapshotAsync(store);
        CollectionAssert.AreEquivalent(before.Keys.Append(result.RejectionRecord).ToList(), after.Keys.ToList(), "only the rejection record is new");
        foreach (var (name, etag) in before)
        {
            Assert.AreEqual(etag, after[name], $"{name} is untouched");
        }

        var schema = ManifestSchemaTests.Load("collectors.rejection.v1.schema.json");
        var json = (await store.Evidence.GetBlobClient(result.RejectionRecord).DownloadContentAsync()).Value.Content.ToString();
        Assert.IsTrue(schema.Evaluate(JsonDocument.Parse(json).RootElement).IsValid, json);
    }

    [TestMethod]
    public async Task TheSameEventAgainIsAlreadyCommittedWhateverItsEncodingSchemaOrSpacing()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var e = EventsHarness.PolicyEvent("same-1", Subscription, At);
        var first = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(e), CancellationToken.None);
        Assert.AreEqual(1, first.Accepted, first.Reason);
        var before = await SnapshotAsync(store);

        var reordered = new JsonObject(e.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var again = new Dictionary<string, BinaryData>
        {
            ["identical"] = EventsHarness.Message(e),
            ["Base64"] = EventsHarness.Base64(Encoding.UTF8.GetBytes(e.ToJsonString())),
            ["pretty-printed"] = BinaryData.FromString(e.ToJsonString(new JsonSerializerOptions { WriteIndented = true })),
            ["spaces, other property order, in an array"] = BinaryData.FromString("[ " + reordered.ToJsonString().Replace(",", ", ", StringComparison.Ordinal).Replace("\":", "\": ", StringComparison.Ordinal) + " ]"),
            ["as a CloudEvent"] = EventsHarness.Message(InSchema(e, "CloudEvents")),
            ["as a Base64 CloudEvent"] = EventsHarness.Base64(Encoding.UTF8.GetBytes(InSchema(e, "CloudEvents").ToJsonString())),
        };

        foreach (var (name, message) in again)
        {
            var result = await handler.HandleAsync(EventsHarness.Queue, message, CancellationToken.None);

            Assert.IsNull(result.RejectionRecord, $"{name}: {result.Reason}");
            Assert.AreEqual(1, result.Duplicates, name);
            Assert.AreEqual(first.Events[0].Manifest, result.Events[0].Manifest, name);
        }

        CollectionAssert.AreEquivalent(before.Keys.ToList(), (await SnapshotAsync(store)).Keys.ToList(), "nothing new is written");
    }

    [TestMethod]
    public async Task AnIdTwiceInOneMessageWithOtherContentIsRefusedAndTheFirstIsStored()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var message = new JsonArray(
            EventsHarness.PolicyEvent("twice", Subscription, At, state: "NonCompliant"),
            EventsHarness.PolicyEvent("other", Subscription, At),
            EventsHarness.PolicyEvent("twice", Subscription, At, state: "Compliant"),
            EventsHarness.PolicyEvent("twice", Subscription, At, state: "NonCompliant"));

        var result = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(message), CancellationToken.None);

        Assert.AreEqual(2, result.Accepted);
        Assert.AreEqual(1, result.Duplicates, "the fourth is the first again");
        var record = (await store.Evidence.GetBlobClient(result.RejectionRecord).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;
        Assert.AreEqual(2, record.Events.Single().Index);
        Assert.AreEqual(result.Events[0].Manifest, record.Events.Single().Conflict!.Manifest);
        Assert.AreEqual(3, record.AcceptedEvents, "two stored, one found stored");
    }

    [TestMethod]
    public async Task TheCliSaysAReusedIdIsRefusedAndExitsWith1()
    {
        await using var store = TestStore.Create();
        var settings = new Dictionary<string, string?> { ["Evidence:ConnectionString"] = store.Options.ConnectionString, ["Evidence:Container"] = store.Options.Container, ["Evidence:StateContainer"] = store.Options.StateContainer };
        var directory = Directory.CreateTempSubdirectory("collectors-events-");
        var first = Path.Combine(directory.FullName, "first.json");
        var second = Path.Combine(directory.FullName, "second.json");
        await File.WriteAllTextAsync(first, EventsHarness.PolicyEvent("cli-reused", Subscription, At).ToJsonString());
        await File.WriteAllTextAsync(second, EventsHarness.PolicyEvent("cli-reused", Subscription, At, resource: "vm2").ToJsonString());

        var stored = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", first);
        var reused = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", second);

        Assert.AreEqual(0, stored.ExitCode, stored.Output + stored.Error);
        Assert.AreEqual(1, reused.ExitCode, reused.Output + reused.Error);
        StringAssert.Contains(reused.Output, "reuses the id cli-reused");
        StringAssert.Contains(reused.Output, "0 event(s) committed, 0 already committed, 1 refused");
        directory.Delete(recursive: true);
    }

    /// <summary>The Event Grid event as itself, or as the CloudEvent Event Grid would deliver for it.</summary>
    private static JsonObject InSchema(JsonObject eventGrid, string schema) => schema == "EventGrid" ? eventGrid : new JsonObject
    {
        ["specversion"] = "1.0",
        ["id"] = eventGrid["id"]!.DeepClone(),
        ["source"] = eventGrid["topic"]!.DeepClone(),
        ["subject"] = eventGrid["subject"]!.DeepClone(),
        ["type"] = eventGrid["eventType"]!.DeepClone(),
        ["time"] = eventGrid["eventTime"]!.DeepClone(),
        ["data"] = eventGrid["data"]!.DeepClone(),
    };

    /// <summary>Every evidence blob and its ETag.</summary>
    private static async Task<Dictionary<string, string>> SnapshotAsync(TestStore store)
    {
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var item in store.Evidence.GetBlobsAsync())
        {
            blobs[item.Name] = item.Properties.ETag!.Value.ToString();
        }

        return blobs;
    }
}
