using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.PolicyStates;
using Collectors.Tests.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Events;

/// <summary>
/// Whatever a publisher puts in a message ends as evidence or as a rejection record with the raw message:
/// never an exception that sends a good delivery to the poison queue, never a forged log line.
/// </summary>
[TestClass]
public sealed class UntrustedMessageTests
{
    private const string Subscription = "0b1f6471-1bf0-4dda-aec3-111122223333";
    private const string Placeholder = "@@placeholder@@";

    /// <summary>0xC3 starts a two-byte sequence that '(' cannot continue; 0xFF never appears in UTF-8.</summary>
    private static readonly byte[] InvalidUtf8 = [0xC3, 0x28, 0xFF];

    [TestMethod]
    public async Task InvalidUtf8InAnIdOrTypeIsRefusedWithTheRawMessageKeptWhetherRawOrBase64()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var eventGrid = EventsHarness.PolicyEvent("utf8-1", Subscription, DateTimeOffset.UtcNow);
        var cloud = JsonNode.Parse(EventsHarness.PublishedAsCloudEvent("utf8-2"))!.AsObject();
        cloud["data"]!["timestamp"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var cases = new Dictionary<string, byte[]>
        {
            ["Event Grid id"] = Spliced(eventGrid, "id"),
            ["Event Grid eventType"] = Spliced(eventGrid, "eventType"),
            ["CloudEvents id"] = Spliced(cloud, "id"),
            ["CloudEvents type"] = Spliced(cloud, "type"),
            ["data.complianceState"] = Spliced(eventGrid, "data.complianceState"),
        };

        foreach (var (name, raw) in cases)
        {
            foreach (var (encoding, message) in new[] { ("raw", BinaryData.FromBytes(raw)), ("Base64", EventsHarness.Base64(raw)) })
            {
                var result = await handler.HandleAsync(EventsHarness.Queue, message, CancellationToken.None);

                var what = $"{name}, {encoding}";
                Assert.AreEqual(0, result.Accepted, what);
                Assert.IsNotNull(result.RejectionRecord, what);
                StringAssert.Contains(result.Reason, "not valid UTF-8", what);
                var record = await ReadRecordAsync(store, result.RejectionRecord);
                CollectionAssert.AreEqual(message.ToArray(), RawOf(record), $"{what}: the raw message is kept");
                Assert.AreEqual(encoding == "raw" ? "base64" : "utf-8", record.Message.Encoding, what);
            }
        }

        await AssertRecordsMatchTheSchemaAsync(store);
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix), "nothing with invalid UTF-8 became evidence");
    }

    [TestMethod]
    public async Task ALoneSurrogateEscapedInAnIdOrTypeIsRefusedNotThrown()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var eventGrid = EventsHarness.PolicyEvent(Placeholder, Subscription, DateTimeOffset.UtcNow).ToJsonString();
        var cases = new[]
        {
            eventGrid.Replace(Placeholder, "evt-\\ud800", StringComparison.Ordinal),
            eventGrid.Replace(Placeholder, "evt-1", StringComparison.Ordinal).Replace(PolicyStatesEventRoute.StateChanged, "Microsoft.PolicyInsights.\\udc00", StringComparison.Ordinal),
            $"[{eventGrid.Replace(Placeholder, "evt-2", StringComparison.Ordinal)},{eventGrid.Replace(Placeholder, "\\udfff\\ud800", StringComparison.Ordinal)}]",
        };

        foreach (var text in cases)
        {
            foreach (var message in new[] { BinaryData.FromString(text), EventsHarness.Base64(Encoding.UTF8.GetBytes(text)) })
            {
                var result = await handler.HandleAsync(EventsHarness.Queue, message, CancellationToken.None);

                Assert.IsNotNull(result.RejectionRecord, text);
                StringAssert.Contains(result.Reason, "could not be read", text);
                var record = await ReadRecordAsync(store, result.RejectionRecord);
                CollectionAssert.AreEqual(message.ToArray(), RawOf(record), "the raw message is kept");
            }
        }

        var mixed = await ReadRecordAsync(store, (await handler.HandleAsync(EventsHarness.Queue, BinaryData.FromString(cases[2]), CancellationToken.None)).RejectionRecord!);
        Assert.AreEqual(1, mixed.AcceptedEvents, "the good event of the message is stored");
        Assert.AreEqual(1, mixed.Events.Single().Index);
        await AssertRecordsMatchTheSchemaAsync(store);
    }

    [TestMethod]
    public async Task APolicyEventInTheLastSecondOfTheYear9999IsRefusedNotThrown()
    {
        await using var store = TestStore.Create();
        var handler = EventsHarness.Handler(store);
        var last = EventsHarness.PolicyEvent("y9999", Subscription, DateTimeOffset.UtcNow);
        last["data"]!["timestamp"] = "9999-12-31T23:59:59.5Z";
        var first = EventsHarness.PolicyEvent("y0001", Subscription, DateTimeOffset.UtcNow);
        first["data"]!["timestamp"] = "0001-01-01T00:00:00Z";

        var late = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(last), CancellationToken.None);
        var early = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Base64(Encoding.UTF8.GetBytes(first.ToJsonString())), CancellationToken.None);

        Assert.IsNotNull(late.RejectionRecord);
        StringAssert.Contains(late.Reason, "in the future");
        Assert.IsNotNull(early.RejectionRecord);
        StringAssert.Contains(early.Reason, "hours old");
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix));
        await AssertRecordsMatchTheSchemaAsync(store);
    }

    [TestMethod]
    public async Task IdsSubjectsAndSourcesReachTheLogEscapedAndShortened()
    {
        await using var store = TestStore.Create();
        var logger = new RecordingLogger<EventIngestionHandler>();
        var handler = EventsHarness.Handler(store, logger);
        var forged = "evt-1\r\nCritical: evidence container deleted by admin\u001b[2J\u2028" + new string('x', 20_000);
        var accepted = EventsHarness.PolicyEvent(forged, Subscription, DateTimeOffset.UtcNow);
        accepted["subject"] = "/subscriptions/x\nInformation: forged";
        var refused = EventsHarness.PolicyEvent(forged + "-2", Subscription, DateTimeOffset.UtcNow);
        refused["data"]!.AsObject().Remove("policyAssignmentId");
        refused["topic"] = "/subscriptions/\r\nWarning: forged source";

        var stored = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(accepted), CancellationToken.None);
        var rejected = await handler.HandleAsync(EventsHarness.Queue, EventsHarness.Message(refused), CancellationToken.None);

        Assert.AreEqual(1, stored.Accepted, stored.Reason);
        Assert.IsNotNull(rejected.RejectionRecord);
        var record = await ReadRecordAsync(store, rejected.RejectionRecord);
        Assert.AreEqual(EventsHarness.Message(refused).ToString(), record.Message.Text, "the record keeps the message exactly");
        Assert.IsNotEmpty(logger.Lines);
        foreach (var line in logger.Lines)
        {
            Assert.AreEqual(-1, line.IndexOfAny(['\r', '\n', '\u001b', '\u2028']), line[..Math.Min(300, line.Length)]);
            Assert.IsLessThan(4_000, line.Length, "an id of 20,000 characters is shortened in the log");
        }

        Assert.IsTrue(logger.Lines.Any(l => l.Contains("evt-1\\r\\nCritical", StringComparison.Ordinal)), "the id is shown escaped, not dropped");
    }

    [TestMethod]
    public async Task TheCliRefusesAFileWithInvalidUtf8WithARejectionRecordAndExitCode1()
    {
        await using var store = TestStore.Create();
        var settings = new Dictionary<string, string?> { ["Evidence:ConnectionString"] = store.Options.ConnectionString, ["Evidence:Container"] = store.Options.Container, ["Evidence:StateContainer"] = store.Options.StateContainer };
        var directory = Directory.CreateTempSubdirectory("collectors-events-");
        var file = Path.Combine(directory.FullName, "invalid-utf8.json");
        await File.WriteAllBytesAsync(file, Spliced(EventsHarness.PolicyEvent("cli-utf8", Subscription, DateTimeOffset.UtcNow), "id"));

        var run = await CollectorsCommand.RunAsync(settings, "ingest-event", "--file", file);

        Assert.AreEqual(1, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "rejection record: rejections/cli/");
        Assert.HasCount(1, await store.ListAsync(EvidencePaths.RejectionSuffix));
        directory.Delete(recursive: true);
    }

    /// <summary>The event's JSON with the string at <paramref name="path"/> (dotted) replaced by one holding invalid UTF-8.</summary>
    private static byte[] Spliced(JsonObject e, string path)
    {
        var copy = e.DeepClone().AsObject();
        var parts = path.Split('.');
        JsonNode node = copy;
        foreach (var part in parts[..^1])
        {
            node = node[part]!;
        }

        node[parts[^1]] = Placeholder;
        var bytes = Encoding.UTF8.GetBytes(copy.ToJsonString());
        var at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Placeholder));
        return [.. bytes[..at], .. "evt-"u8, .. InvalidUtf8, .. bytes[(at + Placeholder.Length)..]];
    }

    private static async Task<RejectionRecord> ReadRecordAsync(TestStore store, string name) =>
        (await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToObjectFromJson<RejectionRecord>(EvidenceJson.Options)!;

    private static byte[] RawOf(RejectionRecord record) =>
        record.Message.Text is { } text ? Encoding.UTF8.GetBytes(text) : Convert.FromBase64String(record.Message.Base64!);

    private static async Task AssertRecordsMatchTheSchemaAsync(TestStore store)
    {
        var schema = ManifestSchemaTests.Load("collectors.rejection.v1.schema.json");
        foreach (var name in await store.ListAsync(EvidencePaths.RejectionSuffix))
        {
            var json = (await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();
            Assert.IsTrue(schema.Evaluate(JsonDocument.Parse(json).RootElement).IsValid, name);
        }
    }
}
