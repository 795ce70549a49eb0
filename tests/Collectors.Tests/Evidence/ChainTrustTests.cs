using System.Text;
using System.Text.Json;
using Azure.Core;
using Collectors.Evidence;
using Collectors.Signing;
using Collectors.Tests.Infrastructure;
using Collectors.Verification;

namespace Collectors.Tests.Evidence;

/// <summary>What a storage-only attacker, a stalled writer and a crashed writer can no longer do to a chain (issue 11, defects 1 and 2).</summary>
[TestClass]
public sealed class ChainTrustTests
{
    private static Task<CliRun> VerifyAsync(TestStore store, params string[] extra) =>
        CollectorsCommand.RunAsync(["verify", "--json", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container, .. extra]);

    private static VerificationReport Report(CliRun run) => JsonSerializer.Deserialize<VerificationReport>(run.Output, EvidenceJson.Options)!;

    private static string Describe(VerificationReport report) => string.Join(Environment.NewLine, report.Problems.Select(p => $"{p.Kind} {p.Blob}: {p.Detail}"));

    private static async Task CommitAsync(EvidenceWriter writer, params int[] windows)
    {
        foreach (var i in windows)
        {
            var result = await writer.CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(10, 300, seed: i)), CancellationToken.None);
            Assert.AreEqual(CommitStatus.Committed, result.Status, result.Reason);
        }
    }

    /// <summary>
    /// Defect 1 (forgery): an attacker with blob write wrote two empty, correctly chained manifests for
    /// windows not yet collected. Before, the backfill said "already committed", ~200 real records were
    /// never collected and verify said INTACT. Now the writer refuses them, records why, and verify fails.
    /// </summary>
    [TestMethod]
    public async Task ForgedManifestsForWindowsNotYetCollectedAreNeitherTakenForCommitsNorIntact()
    {
        await using var store = TestStore.Create();
        await CommitAsync(store.Writer, 0, 1, 2, 3);
        var head = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Manifest.Sequence == 3);
        var previous = new ManifestLink(head.Name, head.Sha256);
        foreach (var i in new[] { 4, 5 })
        {
            var window = Records.Window(i);
            var name = EvidencePaths.Manifest(Records.Stream, window);
            var forged = head.Manifest with
            {
                Name = name,
                Sequence = head.Manifest.Sequence + i - 3,
                Window = new ManifestWindow(window.Start, window.End),
                Previous = previous,
                Content = head.Manifest.Content with { Records = 0 },
            };
            var bytes = JsonSerializer.SerializeToUtf8Bytes(forged, EvidenceJson.Options);
            await store.Evidence.GetBlobClient(name).UploadAsync(new BinaryData(bytes));
            previous = new ManifestLink(name, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }

        var results = new List<CommitResult>();
        foreach (var i in new[] { 4, 5 })
        {
            results.Add(await store.NewWriter().CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(100, 300, seed: i)), CancellationToken.None));
        }

        Assert.IsTrue(results.All(r => r.Status == CommitStatus.Failed), string.Join("; ", results.Select(r => $"{r.Status} {r.Reason}")));
        StringAssert.Contains(results[0].Reason, "not treated as committed");
        StringAssert.Contains(results[0].Reason, "no signature");
        Assert.IsNotNull(results[0].ErrorRecord, "the refusal is recorded, so the summary reports the window as an error");
        var report = Report(await VerifyAsync(store));
        Assert.IsFalse(report.Intact);
        Assert.HasCount(2, report.Problems.Where(p => p.Kind == ProblemKinds.SignatureMissing), Describe(report));
    }

    /// <summary>
    /// An attacker who publishes a key of their own and signs a forged tail with it: the writer never takes
    /// those manifests for its own, and verify fails once the auditor pins the deployment's key (without a
    /// pin it lists both keys and says to pin).
    /// </summary>
    [TestMethod]
    public async Task AForgedTailSignedByAPlantedKeyFailsOnceTheRealKeyIsPinned()
    {
        await using var store = TestStore.Create();
        await CommitAsync(store.Writer, 0, 1);
        var realKey = await store.Signer.CurrentKeyAsync(CancellationToken.None);
        var attackerState = new Azure.Storage.Blobs.BlobContainerClient(store.Options.ConnectionString, store.Options.StateContainer + "-x");
        using var attacker = new LocalSigner(attackerState);
        await CommitAsync(store.NewWriter(store.Connection, signer: attacker), 2, 3);

        var refused = await store.NewWriter().CommitWindowAsync(Records.Batch(Records.Window(2)), Records.Source(Records.Synthetic(10, 300, seed: 2)), CancellationToken.None);
        var unpinned = await VerifyAsync(store);
        var pinned = Report(await VerifyAsync(store, "--trusted-key", realKey.Thumbprint));
        var text = await CollectorsCommand.RunAsync("verify", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container);

        Assert.AreEqual(CommitStatus.Failed, refused.Status);
        StringAssert.Contains(refused.Reason, "is not a version of this deployment's signing key");
        Assert.HasCount(2, Report(unpinned).Keys, "both keys are published in the container");
        StringAssert.Contains(text.Output, "--trusted-key");
        Assert.IsTrue(pinned.KeysPinned);
        Assert.AreEqual(2, pinned.Problems.Count(p => p.Kind == ProblemKinds.SignatureUntrusted && p.Blob!.EndsWith(".manifest.json", StringComparison.Ordinal)), Describe(pinned));
        Assert.IsFalse(pinned.Intact);
        await attackerState.DeleteIfExistsAsync();
    }

    /// <summary>
    /// Defect 1 (cut): deleting the last 8 manifests of a stream, their claims and its checkpoint left
    /// verify at exit 0. The daily summary anchored the heads; verify now finds the cut, with or without
    /// the anchor digest from the mail.
    /// </summary>
    [TestMethod]
    public async Task CuttingTheEndOfAChainAfterItWasAnchoredIsDetected()
    {
        await using var store = TestStore.Create();
        var day = Summary.SummaryFixture.Day(0);
        await Summary.SummaryFixture.CommitDayAsync(store, day);
        var summaries = Summary.SummaryFixture.Service(store, new ShiftedClock(Summary.SummaryFixture.Start(day).AddDays(1).AddHours(6)));
        var run = await summaries.RunAsync(day, send: false, CancellationToken.None);
        var anchor = run.Summary.Anchor!;
        var head = anchor.Heads.Single(h => h.Stream == Summary.SummaryFixture.Stream.Name);
        Assert.AreEqual(95, head.Sequence, "the head after 96 windows");
        var before = await VerifyAsync(store, "--anchor", anchor.Digest);
        Assert.AreEqual(0, before.ExitCode, before.Output + before.Error);

        var manifests = (await EvidenceWriterTests.LoadManifestsAsync(store)).Where(m => m.Manifest.Stream == Summary.SummaryFixture.Stream.Name).OrderBy(m => m.Manifest.Sequence).ToList();
        foreach (var cut in manifests.TakeLast(8))
        {
            await store.Evidence.DeleteBlobAsync(cut.Name);
            await store.Evidence.DeleteBlobIfExistsAsync(EvidencePaths.Claim(Summary.SummaryFixture.Stream, cut.Manifest.Sequence));
        }

        await store.State.DeleteBlobIfExistsAsync(CheckpointStore.BlobName(Summary.SummaryFixture.Stream));

        var plain = await VerifyAsync(store);
        var anchored = await VerifyAsync(store, "--anchor", anchor.Digest.ToUpperInvariant().Replace("-", string.Empty, StringComparison.Ordinal));

        Assert.AreEqual(1, plain.ExitCode, plain.Output + plain.Error);
        Assert.AreEqual(1, anchored.ExitCode, anchored.Output + anchored.Error);
        var problem = Report(anchored).Problems.Single(p => p.Kind == ProblemKinds.HeadMissing);
        Assert.AreEqual(head.Manifest, problem.Blob);
        StringAssert.Contains(problem.Detail, "cut");
        Assert.IsTrue(Report(anchored).Anchors.Single(a => a.Requested).Digest == anchor.Digest);
    }

    [TestMethod]
    public async Task AnAnchorNoSummaryCarriesIsReported()
    {
        await using var store = TestStore.Create();
        await CommitAsync(store.Writer, 0, 1);

        var run = await VerifyAsync(store, "--anchor", "0123abcd-0123abcd-0123abcd-0123abcd");

        Assert.AreEqual(1, run.ExitCode, run.Output + run.Error);
        Assert.AreEqual(ProblemKinds.AnchorUnknown, Report(run).Problems.Single().Kind);
    }

    /// <summary>
    /// Defect 2: the stream lease (60 s) was never renewed and the manifest upload was not bounded by it;
    /// with one upload held 75 s a second writer took the lease and committed the same sequence, and verify
    /// reported chain-fork forever. Here writer A is frozen right after it claimed its position (its lease
    /// renewals freeze too, so the lease runs out), writer B commits meanwhile, then A resumes.
    /// </summary>
    [TestMethod]
    public async Task AWriterFrozenPastItsLeaseCannotForkTheChain()
    {
        await using var store = TestStore.Create();
        await CommitAsync(store.Writer, 0);
        var freeze = new FreezeAfterPolicy(StorageRequests.IsClaimPut);
        var writerA = store.NewWriter(store.Connect(o => o.AddPolicy(freeze, HttpPipelinePosition.PerCall)), leaseDuration: TimeSpan.FromSeconds(15));
        var writerB = store.NewWriter(store.Connect(_ => { }), leaseDuration: TimeSpan.FromSeconds(15));

        var a = writerA.CommitWindowAsync(Records.Batch(Records.Window(1)), Records.Source(Records.Synthetic(10, 300, seed: 1)), CancellationToken.None);
        await freeze.Frozen.WaitAsync(TimeSpan.FromMinutes(1));
        var b = await writerB.CommitWindowAsync(Records.Batch(Records.Window(2)), Records.Source(Records.Synthetic(10, 300, seed: 2)), CancellationToken.None);
        freeze.Release();
        var resultA = await a;

        Assert.AreEqual(CommitStatus.Committed, b.Status, b.Reason);
        Assert.AreEqual(CommitStatus.Committed, resultA.Status, resultA.Reason);
        var manifests = await EvidenceWriterTests.LoadManifestsAsync(store);
        var windowA = manifests.Single(m => m.Name == resultA.Manifest).Manifest;
        var windowB = manifests.Single(m => m.Name == b.Manifest).Manifest;
        Assert.AreEqual(1, windowA.Sequence, "A's claimed position stands");
        Assert.AreEqual(2, windowB.Sequence, "B went after A's claim instead of taking its position");
        Assert.AreEqual(resultA.Manifest, windowB.Previous!.Manifest);
        CollectionAssert.AreEquivalent(new long[] { 0, 1, 2 }, manifests.Select(m => m.Manifest.Sequence).ToList());
        var report = Report(await VerifyAsync(store));
        Assert.IsTrue(report.Intact, Describe(report));
    }

    /// <summary>A writer that stopped between its claim and its manifest: the next writer writes the manifest from the claim and goes on.</summary>
    [TestMethod]
    public async Task AClaimWhoseManifestWasNeverWrittenIsFinishedByTheNextWriter()
    {
        await using var store = TestStore.Create();
        await CommitAsync(store.Writer, 0);
        var outage = new FailWhenPolicy(StorageRequests.IsManifestPut);
        var crashing = store.NewWriter(store.Connect(o => o.AddPolicy(outage, HttpPipelinePosition.PerRetry)));

        var failed = await crashing.CommitWindowAsync(Records.Batch(Records.Window(1)), Records.Source(Records.Synthetic(10, 300, seed: 1)), CancellationToken.None);
        Assert.AreEqual(CommitStatus.Failed, failed.Status, "the manifest could not be written");
        Assert.IsFalse(await store.Evidence.GetBlobClient(EvidencePaths.Manifest(Records.Stream, Records.Window(1))).ExistsAsync(), "only the claim exists");
        var pending = Report(await VerifyAsync(store));
        Assert.IsTrue(pending.Intact, Describe(pending));
        Assert.HasCount(1, pending.PendingClaims);

        var next = await store.NewWriter().CommitWindowAsync(Records.Batch(Records.Window(2)), Records.Source(Records.Synthetic(10, 300, seed: 2)), CancellationToken.None);

        Assert.AreEqual(CommitStatus.Committed, next.Status, next.Reason);
        var manifests = await EvidenceWriterTests.LoadManifestsAsync(store);
        Assert.AreEqual(1, manifests.Single(m => m.Name == EvidencePaths.Manifest(Records.Stream, Records.Window(1))).Manifest.Sequence, "window 1 is written at the position it claimed");
        Assert.AreEqual(2, manifests.Single(m => m.Name == next.Manifest).Manifest.Sequence);
        var after = Report(await VerifyAsync(store));
        Assert.IsTrue(after.Intact, Describe(after));
        Assert.IsEmpty(after.PendingClaims);
        Assert.IsTrue(after.ErrorRecords.Single().WindowCommittedSince, "the failed attempt's record stays, and says the window was committed since");
    }

    [TestMethod]
    public async Task ABurstOfEventsIntoOneStreamFormsOneChainWithFewClaims()
    {
        await using var store = TestStore.Create();
        var writer = store.NewWriter();
        var stream = new EvidenceStream("policy-states", "sub-burst");
        var window = new TimeWindow(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 25, 12, 0, 1, TimeSpan.Zero));

        var results = await Task.WhenAll(Enumerable.Range(0, 120).Select(i => writer.CommitEventAsync(
            new EvidenceBatch("policy-states", ["CC7.1"], stream, window),
            Collectors.Events.EventIngestionHandler.EventKey($"event-{i}"),
            Records.Source([Encoding.UTF8.GetBytes($"{{\"id\":\"event-{i}\"}}")]),
            CancellationToken.None)));

        Assert.IsTrue(results.All(r => r.Status == CommitStatus.Committed));
        var claims = new List<string>();
        await foreach (var claim in store.Evidence.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = EvidencePaths.ChainPrefix(stream) }))
        {
            claims.Add(claim.Name);
        }

        Assert.IsLessThan(120, claims.Count, "events that arrive together are committed together");
        var report = Report(await VerifyAsync(store));
        Assert.IsTrue(report.Intact, Describe(report));
        Assert.AreEqual(120, report.Streams.Single().Manifests);
    }
}
