using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Collectors.DrTests;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Collectors.Tests.DrTests;

/// <summary>Messages through a real Azurite queue into the processor the dr-tests function calls, received and completed as the queue trigger does.</summary>
[TestClass]
public sealed class DrEventsQueueTests
{
    private sealed record Expected(string Kind, string? Reason);

    [TestMethod]
    public async Task EveryMessageThroughTheQueueIsEvidenceOrARejectionWithItsReasonAndVerifyPasses()
    {
        using var azurite = AzuriteProcess.StartQueueService();
        await using var store = TestStore.Create();
        var queues = new QueueServiceClient(azurite.ConnectionString);
        var processor = new QueuedEventProcessor(DrTestsHarness.Handler(store), queues, Options.Create(new EventsOptions()), TimeProvider.System, NullLogger<QueuedEventProcessor>.Instance);
        var queue = queues.GetQueueClient("dr-tests");
        await queue.CreateIfNotExistsAsync();

        var sent = new List<(string Text, Expected Expected)>();
        var valid = new List<JsonObject>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 240; i++)
        {
            var data = DrTestsHarness.Data($"drill-{i}", $"workload-{i % 7}", now.AddMinutes((-5 * i) - 1).AddSeconds(-i), result: i % 5 == 0 ? "failed" : "passed", rto: i % 90);
            var e = i % 2 == 0 ? DrTestsHarness.EventGrid($"evt-{i}", data) : DrTestsHarness.CloudEvent($"evt-{i}", data);
            valid.Add(e);
            var text = e.ToJsonString();
            sent.Add((i % 3 == 0 ? DrTestsHarness.Base64(text) : text, new Expected("accepted", null)));
        }

        // Redeliveries: the same event ids again, in the same or the other encoding.
        for (var i = 0; i < 60; i++)
        {
            var text = valid[i * 4].ToJsonString();
            sent.Add((i % 2 == 0 ? text : DrTestsHarness.Base64(text), new Expected("duplicate", null)));
        }

        var bad = Malformed(now).ToList();
        Assert.IsGreaterThanOrEqualTo(200, bad.Count);
        sent.AddRange(bad.Select(b => (b.Text, new Expected("rejected", b.Reason))));
        Assert.IsGreaterThanOrEqualTo(500, sent.Count);

        // Unordered delivery: interleave, but keep each redelivery after its original so it is the duplicate.
        var order = sent.Select((s, i) => (s, key: s.Expected.Kind == "duplicate" ? 10_000 + i : (i * 7919) % sent.Count)).OrderBy(x => x.key).Select(x => x.s).ToList();
        var pending = new Dictionary<string, Queue<Expected>>(StringComparer.Ordinal);
        foreach (var (text, expected) in order)
        {
            await queue.SendMessageAsync(text);
            (pending.TryGetValue(text, out var q) ? q : pending[text] = new Queue<Expected>()).Enqueue(expected);
        }

        var blobsBeforeDuplicates = 0;
        var handled = 0;
        while (true)
        {
            var messages = (await queue.ReceiveMessagesAsync(32)).Value;
            if (messages.Length == 0)
            {
                break;
            }

            foreach (var message in messages)
            {
                var expected = pending[message.MessageText].Dequeue();
                QueuedEventResult outcome;
                var before = expected.Kind == "duplicate" ? (await store.ListAsync()).Count : 0;
                try
                {
                    outcome = await processor.ProcessAsync(queue.Name, message.MessageText, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    Assert.Fail($"The processor threw for a {expected.Kind} message ({ex.Message}): {message.MessageText[..Math.Min(200, message.MessageText.Length)]}");
                    throw;
                }

                Assert.IsNull(outcome.Requeued, "nothing else writes to the stream: no message is put back");
                var result = outcome.Handled!;

                switch (expected.Kind)
                {
                    case "accepted":
                        Assert.AreEqual(1, result.Accepted, result.Reason);
                        Assert.IsNull(result.RejectionRecord);
                        break;
                    case "duplicate":
                        Assert.AreEqual(1, result.Duplicates, result.Reason);
                        Assert.AreEqual(0, result.Accepted);
                        Assert.AreEqual(before, (await store.ListAsync()).Count, "a redelivered event commits nothing");
                        blobsBeforeDuplicates++;
                        break;
                    default:
                        Assert.AreEqual(0, result.Accepted, message.MessageText);
                        Assert.IsNotNull(result.RejectionRecord, message.MessageText);
                        StringAssert.Contains(result.Reason, expected.Reason, message.MessageText);
                        break;
                }

                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                handled++;
            }
        }

        Assert.AreEqual(sent.Count, handled);
        Assert.AreEqual(60, blobsBeforeDuplicates);
        Assert.IsTrue(pending.Values.All(q => q.Count == 0));
        var manifests = await store.ListAsync(EvidencePaths.ManifestSuffix);
        Assert.AreEqual(240, manifests.Count(n => n.StartsWith($"{DrTestsEventRoute.Id}/{DrTestsEventRoute.Scope}/", StringComparison.Ordinal)));
        var rejections = (await store.ListAsync()).Count(n => n.StartsWith("rejections/dr-tests/", StringComparison.Ordinal));
        Assert.AreEqual(bad.Count, rejections, "one rejection record per bad message");

        var verify = await CollectorsCommand.RunAsync(["verify", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container]);
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
    }

    /// <summary>Distinct bad messages, each with the fragment of the reason it must be refused with.</summary>
    private static IEnumerable<(string Text, string Reason)> Malformed(DateTimeOffset now)
    {
        for (var i = 0; i < 240; i++)
        {
            var data = DrTestsHarness.Data($"bad-{i}", "payments", now.AddDays(-1).AddSeconds(i));
            var id = $"bad-evt-{i}";
            var cloud = i % 2 == 0;
            JsonObject Event(JsonNode d, string type = DrTestsEventRoute.CompletedType, DateTimeOffset? time = null) => cloud ? DrTestsHarness.CloudEvent(id, d, type, time) : DrTestsHarness.EventGrid(id, d, type, time);
            string Maybe64(string text) => i % 3 == 0 ? DrTestsHarness.Base64(text) : text;
            switch (i % 20)
            {
                case 0: yield return (Event(data).ToJsonString()[..(40 + i)], "not valid JSON"); break;
                case 1: yield return (Maybe64(Event(data, type: $"Contoso.Unknown.Type{i}").ToJsonString()), "no evidence stream takes events of type"); break;
                case 2: data.Remove("drillId"); yield return (Maybe64(Event(data).ToJsonString()), "data.drillId is missing"); break;
                case 3: data["targetRtoMinutes"] = "sixty"; yield return (Maybe64(Event(data).ToJsonString()), "data.targetRtoMinutes must be a number"); break;
                case 4: data["startedAt"] = DrTestsHarness.Iso(now.AddHours(-1).AddSeconds(i)); data["endedAt"] = DrTestsHarness.Iso(now.AddHours(-2)); yield return (Maybe64(Event(data).ToJsonString()), "is before data.startedAt"); break;
                case 5: data["achievedRtoMinutes"] = -1 - i; yield return (Maybe64(Event(data).ToJsonString()), "is negative"); break;
                case 6: data["notes"] = new string('n', 33_000 + i); yield return (Event(data).ToJsonString(), "a DR test report may take"); break;
                case 7: data["endedAt"] = DrTestsHarness.Iso(now.AddDays(3).AddSeconds(i)); yield return (Maybe64(Event(data).ToJsonString()), "lies in the future"); break;
                case 8: yield return (Maybe64(Event(data, time: now.AddDays(1).AddSeconds(i)).ToJsonString()), "the event time"); break;
                case 9: yield return ($"not json at all {i}", "neither JSON"); break;
                case 10: yield return (DrTestsHarness.Base64($"plain text {i}"), "not JSON"); break;
                case 11: yield return ($"[{i}, {{\"id\": \"x{i}\"}}]", "not an object"); break;
                case 12: { var e = Event(data); e.Remove(cloud ? "source" : "subject"); yield return (Maybe64(e.ToJsonString()), cloud ? "lacks the required attribute(s) source" : "lacks the required field(s) subject"); break; }
                case 13: data["result"] = i % 2 == 0 ? "PASS" : "true"; yield return (Maybe64(Event(data).ToJsonString()), "data.result"); break;
                case 14: data["workload"] = new JsonObject { ["name"] = "payments" }; yield return (Maybe64(Event(data).ToJsonString()), "data.workload must be a non-empty string"); break;
                case 15: data["startedAt"] = $"last tuesday {i}"; yield return (Maybe64(Event(data).ToJsonString()), "data.startedAt must be an RFC 3339 timestamp"); break;
                case 16: yield return (Maybe64(Event(JsonValue.Create($"just a string {i}")!).ToJsonString()), "data is a JSON string"); break;
                case 17: yield return ($"{{\"specversion\":\"0.3\",\"id\":\"{id}\",\"source\":\"s\",\"type\":\"{DrTestsEventRoute.CompletedType}\"}}", "only CloudEvents 1.0"); break;
                case 18: data["links"] = new JsonArray($"ftp://files/{i}"); yield return (Maybe64(Event(data).ToJsonString()), "data.links[0]"); break;
                default: data["achievedRpoMinutes"] = 1e12 + i; yield return (Maybe64(Event(data).ToJsonString()), "more than ten years"); break;
            }
        }
    }
}
