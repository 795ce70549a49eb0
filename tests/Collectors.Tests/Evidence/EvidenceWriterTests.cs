using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Evidence;

[TestClass]
public sealed class EvidenceWriterTests
{
    [TestMethod]
    public async Task RoundTripsRecordsByteExactWithBothHashes()
    {
        await using var store = TestStore.Create();
        var records = new List<byte[]>
        {
            "{\"id\":\"a\",\"n\":1.50,\"s\":\"caf\\u00e9 \\\"q\\\" \\n\"}"u8.ToArray(),
            "{\"id\":\"b\",\"unicode\":\"日本語 ü 🙂\",\"nested\":{\"x\":[1,2,{\"y\":null}]}}"u8.ToArray(),
            "  {\"id\":\"c\",\"padded\":true}  "u8.ToArray(),
        };
        records.AddRange(Records.Synthetic(4000, 700));

        var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source(records), CancellationToken.None);

        Assert.AreEqual(CommitStatus.Committed, result.Status, result.Reason);
        Assert.AreEqual(4003, result.Records);
        var manifestBytes = (await store.Evidence.GetBlobClient(result.Manifest).DownloadContentAsync()).Value.Content.ToArray();
        var manifest = JsonSerializer.Deserialize<EvidenceManifest>(manifestBytes, EvidenceJson.Options)!;
        var stored = (await store.Evidence.GetBlobClient(manifest.Content.Blob).DownloadContentAsync()).Value.Content.ToArray();

        Assert.AreEqual(manifest.Content.Sha256, Convert.ToHexStringLower(SHA256.HashData(stored)));
        Assert.AreEqual(manifest.Content.Bytes, stored.LongLength);
        var ndjson = Gunzip(stored);
        Assert.AreEqual(manifest.Content.UncompressedSha256, Convert.ToHexStringLower(SHA256.HashData(ndjson)));
        Assert.AreEqual(manifest.Content.UncompressedBytes, ndjson.LongLength);

        var expected = new StringBuilder();
        expected.Append("{\"id\":\"a\",\"n\":1.50,\"s\":\"caf\\u00e9 \\\"q\\\" \\n\"}\n");
        expected.Append("{\"id\":\"b\",\"unicode\":\"日本語 ü 🙂\",\"nested\":{\"x\":[1,2,{\"y\":null}]}}\n");
        expected.Append("{\"id\":\"c\",\"padded\":true}\n");
        var expectedBytes = Encoding.UTF8.GetBytes(expected.ToString()).Concat(records.Skip(3).SelectMany(r => r.Concat("\n"u8.ToArray()))).ToArray();
        CollectionAssert.AreEqual(expectedBytes, ndjson, "the NDJSON must hold every record's bytes as given, one per line");
        Assert.IsGreaterThan(1, (await store.Evidence.GetBlockBlobClient(manifest.Content.Blob).GetBlockListAsync()).Value.CommittedBlocks.Count(), "content larger than a block is staged in several blocks");
    }

    [TestMethod]
    public async Task PrettyPrintedRecordsBecomeOneLineWithTokensUnchanged()
    {
        await using var store = TestStore.Create();
        var pretty = "{\n  \"id\" : \"p\",\r\n  \"text\": \"two  spaces\\tand a tab\",\n  \"list\": [ 1,\n 2 ]\n}"u8.ToArray();

        var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source([pretty]), CancellationToken.None);

        var ndjson = Encoding.UTF8.GetString(Gunzip(await ContentOfAsync(store, result.Manifest!)));
        Assert.AreEqual("{\"id\":\"p\",\"text\":\"two  spaces\\tand a tab\",\"list\":[1,2]}\n", ndjson);
    }

    [TestMethod]
    public async Task SecondCommitOfACommittedWindowChangesNothing()
    {
        await using var store = TestStore.Create();
        var window = Records.Window(3);
        var first = await store.Writer.CommitWindowAsync(Records.Batch(window), Records.Source(Records.Synthetic(50)), CancellationToken.None);
        var before = await SnapshotAsync(store);
        var sourceCalls = 0;

        var second = await store.NewWriter().CommitWindowAsync(Records.Batch(window), Records.Source(Records.Synthetic(60, seed: 9), onStart: () => sourceCalls++), CancellationToken.None);

        Assert.AreEqual(CommitStatus.Committed, first.Status);
        Assert.AreEqual(CommitStatus.AlreadyCommitted, second.Status);
        Assert.AreEqual(0, sourceCalls, "a committed window must not be fetched again");
        CollectionAssert.AreEquivalent(before, await SnapshotAsync(store), "no blob may be added or changed");
    }

    [TestMethod]
    public async Task EightParallelWritersRacingOnOneWindowCommitExactlyOneManifest()
    {
        await using var store = TestStore.Create();
        var window = Records.Window(7);
        using var start = new ManualResetEventSlim();
        var writers = Enumerable.Range(0, 8).Select(i => store.NewWriter()).ToList();

        var results = await Task.WhenAll(writers.Select((writer, i) => Task.Run(async () =>
        {
            start.Wait();
            return await writer.CommitWindowAsync(Records.Batch(window), Records.Source(Records.Synthetic(300, seed: i)), CancellationToken.None);
        })).Append(Task.Run(() => { start.Set(); return (CommitResult)null!; })).ToArray());

        var real = results.Where(r => r is not null).ToList();
        Assert.AreEqual(1, real.Count(r => r.Status == CommitStatus.Committed), string.Join("; ", real.Select(r => $"{r.Status} {r.Reason}")));
        Assert.AreEqual(7, real.Count(r => r.Status == CommitStatus.AlreadyCommitted), "the losers lose cleanly, without reporting a failure");
        Assert.HasCount(1, await store.ListAsync(EvidencePaths.ManifestSuffix));
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ErrorSuffix));
        var checkpoint = await store.NewWriter().Checkpoints.ReadAsync(Records.Stream, CancellationToken.None);
        Assert.AreEqual(0, checkpoint.Head!.Sequence);
    }

    [TestMethod]
    public async Task ConcurrentWindowsOfOneStreamFormOneUnforkedChain()
    {
        await using var store = TestStore.Create();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            store.NewWriter().CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(20, seed: i)), CancellationToken.None))));

        Assert.IsTrue(results.All(r => r.Status == CommitStatus.Committed));
        var manifests = await LoadManifestsAsync(store);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 6).Select(i => (long)i).ToList(), manifests.Select(m => m.Manifest.Sequence).ToList());
        foreach (var (name, manifest, _) in manifests.Where(m => m.Manifest.Sequence > 0))
        {
            var predecessor = manifests.Single(m => m.Manifest.Sequence == manifest.Sequence - 1);
            Assert.AreEqual(predecessor.Name, manifest.Previous!.Manifest, name);
            Assert.AreEqual(predecessor.Sha256, manifest.Previous.Sha256, name);
        }

        Assert.IsNull(manifests.Single(m => m.Manifest.Sequence == 0).Manifest.Previous);
    }

    [TestMethod]
    public async Task FailedSourceLeavesAnErrorRecordAndTheWindowOpen()
    {
        await using var store = TestStore.Create();
        var window = Records.Window(1);

        var failed = await store.Writer.CommitWindowAsync(Records.Batch(window), FailingSource(after: 120), CancellationToken.None);
        var failedAgain = await store.Writer.CommitWindowAsync(Records.Batch(window), FailingSource(after: 5), CancellationToken.None);

        Assert.AreEqual(CommitStatus.Failed, failed.Status);
        StringAssert.Contains(failed.Reason, "403");
        StringAssert.Contains(failed.Reason, "Reader");
        Assert.IsFalse(await store.Evidence.GetBlobClient(EvidencePaths.Manifest(Records.Stream, window)).ExistsAsync());
        var errors = await store.ListAsync(EvidencePaths.ErrorSuffix);
        Assert.HasCount(2, errors);
        var records = new List<ErrorRecord>();
        foreach (var name in errors)
        {
            records.Add((await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options)!);
        }

        CollectionAssert.AreEquivalent(new[] { 1, 2 }, records.Select(r => r.Attempt).ToArray());
        var first = records.Single(r => r.Attempt == 1);
        Assert.AreEqual(Records.Stream.Name, first.Stream);
        Assert.AreEqual(window.Start, first.Window.Start);
        Assert.AreEqual(120, first.RecordsRead);
        Assert.AreEqual(403, first.HttpStatus);

        var retried = await store.Writer.CommitWindowAsync(Records.Batch(window), Records.Source(Records.Synthetic(10)), CancellationToken.None);
        Assert.AreEqual(CommitStatus.Committed, retried.Status, "the window stayed open for the next run");
    }

    [TestMethod]
    public async Task IncompleteSourceIsNeverCommitted()
    {
        await using var store = TestStore.Create();
        var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(2)), Records.Source(Records.Synthetic(30), complete: false), CancellationToken.None);

        Assert.AreEqual(CommitStatus.Failed, result.Status);
        StringAssert.Contains(result.Reason, "complete");
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix));
        Assert.HasCount(1, await store.ListAsync(EvidencePaths.ErrorSuffix));
    }

    [TestMethod]
    public async Task MalformedRecordFailsTheWindowWithItsIndex()
    {
        await using var store = TestStore.Create();
        var records = Records.Synthetic(5).Append("{\"id\":\"x\",\"broken\":"u8.ToArray()).ToList();

        var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(2)), Records.Source(records), CancellationToken.None);

        Assert.AreEqual(CommitStatus.Failed, result.Status);
        StringAssert.Contains(result.Reason, "Record 5");
        Assert.IsEmpty(await store.ListAsync(EvidencePaths.ManifestSuffix));
    }

    [TestMethod]
    public async Task EmptyWindowIsCommittedWithZeroRecords()
    {
        await using var store = TestStore.Create();
        var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(4)), Records.Source([]), CancellationToken.None);

        Assert.AreEqual(CommitStatus.Committed, result.Status);
        var manifest = await ManifestAsync(store, result.Manifest!);
        Assert.AreEqual(0, manifest.Content.Records);
        Assert.IsEmpty(Gunzip(await ContentOfAsync(store, result.Manifest!)));
    }

    [TestMethod]
    public async Task EmulatorManifestsSayImmutabilityIsNotEnforced()
    {
        await using var store = TestStore.Create(requireImmutability: null);
        var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source(Records.Synthetic(3)), CancellationToken.None);

        var manifest = await ManifestAsync(store, result.Manifest!);
        Assert.IsFalse(manifest.Immutability.Enforced);
        Assert.IsFalse(manifest.Immutability.LegalHold);
        StringAssert.Contains(manifest.Immutability.Note, "emulator");
        Assert.AreEqual("SharedKey", manifest.Identity.Credential);
    }

    [TestMethod]
    public async Task RequiringImmutabilityOnAStoreWithoutItIsAHardError()
    {
        await using var store = TestStore.Create(requireImmutability: true);

        var ex = await Assert.ThrowsExactlyAsync<EvidenceStoreConfigurationException>(() =>
            store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source(Records.Synthetic(3)), CancellationToken.None));

        StringAssert.Contains(ex.Message, "RequireImmutability");
        Assert.IsEmpty(await store.ListAsync(), "nothing is written to an unprotected store");
    }

    [TestMethod]
    public async Task ManifestRecordsSourceWindowAndTimesInUtc()
    {
        await using var store = TestStore.Create();
        var window = Records.Window(5);
        var result = await store.Writer.CommitWindowAsync(Records.Batch(window), Records.Source(Records.Synthetic(250), pageSize: 100), CancellationToken.None);

        var text = Encoding.UTF8.GetString((await store.Evidence.GetBlobClient(result.Manifest).DownloadContentAsync()).Value.Content.ToArray());
        var manifest = JsonSerializer.Deserialize<EvidenceManifest>(text, EvidenceJson.Options)!;
        Assert.AreEqual(3, manifest.Source.Pages);
        Assert.IsTrue(manifest.Source.Complete);
        Assert.AreEqual("2015-04-01", manifest.Source.Requests[0].ApiVersion);
        Assert.AreEqual("activity-log/sub-00000000-0000-0000-0000-000000000001/2026/11/25/20261125T011500Z_20261125T013000Z.manifest.json", result.Manifest);
        StringAssert.Contains(text, "\"start\": \"2026-11-25T01:15:00Z\"");
        Assert.IsLessThanOrEqualTo(manifest.CollectedAt.End, manifest.CollectedAt.Start);
        Assert.AreEqual(TimeSpan.Zero, manifest.CollectedAt.Start.Offset);
    }

    internal static byte[] Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static async Task<EvidenceManifest> ManifestAsync(TestStore store, string name) =>
        (await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;

    private static async Task<byte[]> ContentOfAsync(TestStore store, string manifestName)
    {
        var manifest = await ManifestAsync(store, manifestName);
        return (await store.Evidence.GetBlobClient(manifest.Content.Blob).DownloadContentAsync()).Value.Content.ToArray();
    }

    internal static async Task<List<(string Name, EvidenceManifest Manifest, string Sha256)>> LoadManifestsAsync(TestStore store)
    {
        var result = new List<(string, EvidenceManifest, string)>();
        foreach (var name in await store.ListAsync(EvidencePaths.ManifestSuffix))
        {
            var bytes = (await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();
            // The chain hash: SHA-256 of the manifest's canonical bytes, which its signature signs.
            result.Add((name, JsonSerializer.Deserialize<EvidenceManifest>(bytes, EvidenceJson.Options)!, Collectors.Signing.SignedJson.ChainHash(bytes)));
        }

        return result;
    }

    private static async Task<List<string>> SnapshotAsync(TestStore store)
    {
        var items = new List<string>();
        await foreach (var item in store.Evidence.GetBlobsAsync())
        {
            items.Add($"{item.Name}|{item.Properties.ETag}|{item.Properties.ContentLength}");
        }

        return items;
    }

    private static RecordSource FailingSource(int after) => (log, ct) => Fail(log, after, ct);

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Fail(SourceLog log, int after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        log.AddRequest(new SourceRequest("GET", "https://management.azure.com/subscriptions/x/providers/Microsoft.Insights/eventtypes/management/values", "2015-04-01", null));
        log.AddPage();
        foreach (var record in Records.Synthetic(after))
        {
            yield return record;
        }

        await Task.Yield();
        throw new EvidenceSourceException("ARM returned 403 AuthorizationFailed for subscription x: the identity needs Reader on the subscription.", 403, "AuthorizationFailed");
    }
}
