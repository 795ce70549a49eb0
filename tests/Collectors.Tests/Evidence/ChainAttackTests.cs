using System.Text.Json;
using Azure.Core;
using Collectors.Evidence;
using Collectors.Signing;
using Collectors.Simulator;
using Collectors.Summary;
using Collectors.Tests.Infrastructure;
using Collectors.Tests.Summary;
using Collectors.Verification;

namespace Collectors.Tests.Evidence;

/// <summary>
/// Attacks an independent review made on the chain, its claims, keys and summaries with write access to
/// storage only (no signing key), and what each now leads to: never a stream that stops for good,
/// never a chain the real key signs wrongly, never INTACT over planted or damaged evidence.
/// </summary>
[TestClass]
public sealed class ChainAttackTests
{
    private static Task<CliRun> VerifyAsync(TestStore store, params string[] extra) =>
        CollectorsCommand.RunAsync(["verify", "--json", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container, .. extra]);

    private static VerificationReport Report(CliRun run)
    {
        Assert.IsTrue(run.Output.TrimStart().StartsWith('{'), $"verify printed no report (exit {run.ExitCode}): {run.Error}");
        return JsonSerializer.Deserialize<VerificationReport>(run.Output, EvidenceJson.Options)!;
    }

    private static string Describe(VerificationReport report) => string.Join(Environment.NewLine, report.Problems.Select(p => $"{p.Kind} {p.Blob}: {p.Detail}"));

    private static async Task<string> PinAsync(TestStore store) => (await store.Signer.CurrentKeyAsync(CancellationToken.None)).Thumbprint;

    private static Task<CommitResult> CommitAsync(EvidenceWriter writer, int window) =>
        writer.CommitWindowAsync(Records.Batch(Records.Window(window)), Records.Source(Records.Synthetic(10, 300, seed: window)), CancellationToken.None);

    private static async Task CommitAllAsync(EvidenceWriter writer, params int[] windows)
    {
        foreach (var i in windows)
        {
            var result = await CommitAsync(writer, i);
            Assert.AreEqual(CommitStatus.Committed, result.Status, result.Reason);
        }
    }

    [TestMethod]
    public async Task AClaimPlantedAtTheNextPositionIsReportedAndSteppedOverNotAWedge()
    {
        await using var store = TestStore.Create();
        await CommitAllAsync(store.Writer, 0, 1, 2);
        var existing = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Manifest.Sequence == 0);
        var junk = new ChainClaim { Stream = Records.Stream.Name, First = 3, ClaimedAt = DateTimeOffset.UtcNow, Manifests = [new ClaimedManifest(existing.Name, existing.Sha256, "AAAA")] };
        await store.Evidence.GetBlobClient(EvidencePaths.Claim(Records.Stream, 3)).UploadAsync(BinaryData.FromObjectAsJson(junk, EvidenceJson.Compact));

        var planted = Report(await VerifyAsync(store, "--trusted-key", await PinAsync(store)));
        var next = await CommitAsync(store.NewWriter(), 3);
        var after = Report(await VerifyAsync(store, "--trusted-key", await PinAsync(store)));

        Assert.AreEqual(ProblemKinds.ClaimInvalid, planted.Problems.Single().Kind, Describe(planted));
        Assert.AreEqual(CommitStatus.Committed, next.Status, next.Reason);
        var manifest = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Name == next.Manifest).Manifest;
        Assert.AreEqual(3, manifest.Sequence, "the position is claimed under the next attempt name");
        Assert.IsTrue(await store.Evidence.GetBlobClient(EvidencePaths.Claim(Records.Stream, 3, attempt: 1)).ExistsAsync());
        Assert.AreEqual(ProblemKinds.ClaimInvalid, after.Problems.Single().Kind, "the planted blob stays reported; nothing else is wrong: " + Describe(after));
    }

    [TestMethod]
    public async Task ACheckpointPointingAtAFakeClaimCannotMakeTheWriterSignAFalseLink()
    {
        await using var store = TestStore.Create();
        await CommitAllAsync(store.Writer, 0, 1);
        var truth = (await store.Writer.Checkpoints.ReadAsync(Records.Stream, CancellationToken.None)).Head!;
        var fake = new ChainClaim { Stream = "x/y", First = 3, ClaimedAt = DateTimeOffset.UtcNow, Manifests = [new ClaimedManifest("nothing/here.manifest.json", new string('a', 64), "AAAA")] };
        await store.Evidence.GetBlobClient("junk/fake.json").UploadAsync(BinaryData.FromObjectAsJson(fake, EvidenceJson.Compact));
        await using (var streamLock = await store.Writer.Checkpoints.LockAsync(Records.Stream, CancellationToken.None))
        {
            var checkpoint = await streamLock.ReadAsync(CancellationToken.None);
            await streamLock.WriteAsync(checkpoint with { Head = truth with { Manifest = "nothing/here.manifest.json", Sha256 = new string('a', 64), Sequence = 3, Claim = "junk/fake.json" } }, CancellationToken.None);
        }

        var next = await CommitAsync(store.NewWriter(), 5);

        var manifest = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Name == next.Manifest).Manifest;
        Assert.AreEqual(2, manifest.Sequence);
        Assert.AreEqual(truth.Manifest, manifest.Previous!.Manifest);
        Assert.AreEqual(truth.Sha256, manifest.Previous.Sha256);
        var report = Report(await VerifyAsync(store, "--trusted-key", await PinAsync(store)));
        Assert.IsFalse(report.Problems.Any(p => p.Kind is ProblemKinds.ChainFork or ProblemKinds.ChainMismatch or ProblemKinds.ClaimMismatch), Describe(report));
    }

    [TestMethod]
    public async Task ACheckpointPointingInsideABatchClaimCannotMakeTheWriterFork()
    {
        await using var store = TestStore.Create();
        await CommitAllAsync(store.Writer, 0);
        var writer = store.NewWriter();
        var batch = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => CommitAsync(writer, i)));
        Assert.IsTrue(batch.All(r => r.Status == CommitStatus.Committed));
        ClaimReading? multi = null;
        foreach (var name in await store.ListAsync(EvidencePaths.ClaimSuffix))
        {
            var reading = await store.Reader.Claims.ReadAsync(Records.Stream, name, CancellationToken.None);
            multi ??= reading is { Valid: true, Manifests.Count: > 1 } ? reading : null;
        }

        Assert.IsNotNull(multi, "concurrent commits of one stream formed a batch claim");
        await using (var streamLock = await store.Writer.Checkpoints.LockAsync(Records.Stream, CancellationToken.None))
        {
            var checkpoint = await streamLock.ReadAsync(CancellationToken.None);
            var first = multi.Claim!.Manifests[0];
            await streamLock.WriteAsync(checkpoint with { Head = checkpoint.Head! with { Manifest = first.Name, Sha256 = first.Sha256, Sequence = multi.First, Claim = multi.Name } }, CancellationToken.None);
        }

        var next = await CommitAsync(store.NewWriter(), 20);

        var manifest = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Name == next.Manifest).Manifest;
        Assert.AreEqual(9, manifest.Sequence, "after the real head, not inside the claim");
        var report = Report(await VerifyAsync(store, "--trusted-key", await PinAsync(store)));
        Assert.IsFalse(report.Problems.Any(p => p.Kind is ProblemKinds.ChainFork or ProblemKinds.ChainMismatch or ProblemKinds.ClaimMismatch), Describe(report));
    }

    [TestMethod]
    public async Task ACheckpointWhoseHeadNamesNoClaimIsFoundAgainFromTheEvidence()
    {
        await using var store = TestStore.Create();
        await CommitAllAsync(store.Writer, 0, 1, 2);
        var blob = store.State.GetBlobClient(CheckpointStore.BlobName(Records.Stream));
        var node = System.Text.Json.Nodes.JsonNode.Parse((await blob.DownloadContentAsync()).Value.Content.ToString())!;
        node["head"]!.AsObject().Remove("claim");
        await blob.UploadAsync(BinaryData.FromString(node.ToJsonString()), overwrite: true);

        var next = await CommitAsync(store.NewWriter(), 3);

        Assert.AreEqual(CommitStatus.Committed, next.Status, next.Reason);
        Assert.AreEqual(3, (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Name == next.Manifest).Manifest.Sequence);
    }

    [TestMethod]
    public async Task AKeyPlantedUnderTheRealKeyIdNeitherShadowsNorHidesIt()
    {
        await using var store = TestStore.Create();
        await CommitAllAsync(store.Writer, 0, 1);
        var real = await store.Signer.CurrentKeyAsync(CancellationToken.None);
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var planted = SigningKey.FromParameters(real.Kid, other.ExportParameters(false), KeyVaultSigner.Custody);
        await store.Evidence.GetBlobClient("keys/0000.key.json").UploadAsync(BinaryData.FromObjectAsJson(planted, EvidenceJson.Options));
        await store.Evidence.GetBlobClient(KeyPublication.BlobName(planted.Thumbprint)).UploadAsync(BinaryData.FromObjectAsJson(planted, EvidenceJson.Options));

        var pinned = Report(await VerifyAsync(store, "--trusted-key", real.Thumbprint));
        var unpinned = Report(await VerifyAsync(store));

        Assert.IsFalse(pinned.Problems.Any(p => p.Blob is { } b && b.EndsWith(".manifest.json", StringComparison.Ordinal)), "the real manifests verify with the real key: " + Describe(pinned));
        Assert.IsTrue(pinned.Problems.Any(p => p.Detail.Contains("keys/0000.key.json", StringComparison.Ordinal)), "a key stored under another name is reported: " + Describe(pinned));
        Assert.IsTrue(pinned.Problems.Any(p => p.Detail.Contains(real.Kid, StringComparison.Ordinal) && p.Detail.Contains("different keys", StringComparison.Ordinal)), "two keys claiming one key id are reported: " + Describe(pinned));
        CollectionAssert.Contains(unpinned.Keys.Select(k => k.Thumbprint).ToList(), real.Thumbprint, "the real key is listed");
        Assert.AreEqual(2, unpinned.Keys.Single(k => k.Thumbprint == real.Thumbprint).Signed, "and signed both manifests");
    }

    [TestMethod]
    public async Task MalformedBlobsBecomeProblemsInTheReportNotACrash()
    {
        await using var store = TestStore.Create();
        await CommitAllAsync(store.Writer, 0, 1);
        var genuine = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(x => x.Manifest.Sequence == 1);
        var name = EvidencePaths.Manifest(Records.Stream, Records.Window(7));
        var noPrevious = genuine.Manifest with { Name = name, Sequence = 7, Window = new ManifestWindow(Records.Window(7).Start, Records.Window(7).End), Previous = new ManifestLink(null!, "x") };
        await store.Evidence.GetBlobClient(name).UploadAsync(BinaryData.FromObjectAsJson(noPrevious, EvidenceJson.Options));
        var claim = "{\"schema\":\"collectors.claim/v1\",\"stream\":\"" + Records.Stream.Name + "\",\"first\":2,\"claimedAt\":\"2026-01-01T00:00:00Z\",\"manifests\":[{\"name\":\"a/b\",\"sha256\":\"x\",\"bytes\":\"!!notbase64\"}]}";
        await store.Evidence.GetBlobClient(EvidencePaths.Claim(Records.Stream, 2)).UploadAsync(BinaryData.FromString(claim));
        await store.Evidence.GetBlobClient(EvidencePaths.Manifest(Records.Stream, Records.Window(8))).UploadAsync(BinaryData.FromString("{\"schema\":\"collectors.evidence/v1\",\"content\":null}"));

        var run = await VerifyAsync(store, "--trusted-key", await PinAsync(store));

        Assert.AreEqual(1, run.ExitCode, run.Error);
        var report = Report(run);
        Assert.IsTrue(report.Problems.Any(p => p.Blob == name), Describe(report));
        Assert.IsTrue(report.Problems.Any(p => p.Kind == ProblemKinds.ClaimInvalid), Describe(report));
        Assert.IsTrue(report.Problems.Any(p => p.Blob == EvidencePaths.Manifest(Records.Stream, Records.Window(8))), Describe(report));
    }

    /// <summary>A genuine manifest copied to a missing window's name (another stream's, say) is not that window's commit.</summary>
    [TestMethod]
    public async Task AGenuineManifestCopiedToAnotherWindowIsNotCountedAsItsCommit()
    {
        await using var store = TestStore.Create();
        var day = SummaryFixture.Day(0);
        await SummaryFixture.CommitDayAsync(store, day, skip: [10]);
        var donor = (await EvidenceWriterTests.LoadManifestsAsync(store)).First(m => m.Manifest.Stream == SummaryFixture.Stream.Name);
        var missing = new TimeWindow(SummaryFixture.Start(day).AddMinutes(150), SummaryFixture.Start(day).AddMinutes(165));
        var bytes = (await store.Evidence.GetBlobClient(donor.Name).DownloadContentAsync()).Value.Content;
        await store.Evidence.GetBlobClient(EvidencePaths.Manifest(SummaryFixture.Stream, missing)).UploadAsync(bytes);

        var summary = await SummaryFixture.Builder(store, new ShiftedClock(SummaryFixture.Start(day).AddDays(1).AddHours(6))).BuildAsync(day, null, [], CancellationToken.None);

        var coverage = summary.Streams.Single(s => s.Stream == SummaryFixture.Stream.Name);
        Assert.AreEqual(95, coverage.WindowsCommitted, "the copy does not fill the hole");
        Assert.AreEqual(1, coverage.WindowsMissing);
        Assert.HasCount(1, coverage.Untrusted);
        Assert.AreEqual(Status.Error, summary.Criteria.Single(c => c.Id == "CC8.1").Status);
    }

    /// <summary>A blob planted where mail failures are recorded cannot stop the summaries or the mail; the mail says it is there.</summary>
    [TestMethod]
    public async Task APlantedMailFailureRecordStopsNoSummaryAndIsNamedAsUntrusted()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        var days = new[] { SummaryFixture.Day(1), SummaryFixture.Day(2), SummaryFixture.Day(3) };
        foreach (var day in days)
        {
            await SummaryFixture.CommitDayAsync(store, day);
        }

        var first = days[0].ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var planted = $"summaries/daily/{first[..4]}/{first[5..7]}/{first[8..10]}/{first}.mail-error.x.json";
        await store.Evidence.GetBlobClient(planted).UploadAsync(BinaryData.FromString("{}"));

        var runs = await SummaryMailTests.Service(store, simulator, new ShiftedClock(SummaryFixture.Start(days[^1]).AddDays(1).AddHours(6))).RunDueAsync(CancellationToken.None);

        CollectionAssert.IsSubsetOf(days.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToList(), runs.Select(r => r.Summary.Date).ToList());
        Assert.IsTrue(simulator.Mail.Sent.Count >= 3, "every due day is mailed");
        var second = runs.Single(r => r.Summary.Date == days[1].ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        StringAssert.Contains(second.Summary.MailFailures.Single(), "not one this deployment signed");
    }

    /// <summary>A summary that could not be stored is not mailed: the mailed anchor would be one verify can never find.</summary>
    [TestMethod]
    public async Task ASummaryThatCouldNotBeStoredIsNotMailed()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        var day = SummaryFixture.Day(1);
        await SummaryFixture.CommitDayAsync(store, day);
        var clock = new ShiftedClock(SummaryFixture.Start(day).AddDays(1).AddHours(6));
        var outage = new FailWhenPolicy(m => m.Request.Method == RequestMethod.Put && m.Request.Uri.Path.Contains("/summaries/daily/chain/", StringComparison.Ordinal));
        var failing = store.NewWriter(store.Connect(o => o.AddPolicy(outage, HttpPipelinePosition.PerRetry)), clock);

        var run = await SummaryMailTests.Service(store, simulator, clock, writer: failing).RunAsync(day, send: true, CancellationToken.None);
        var again = await SummaryMailTests.Service(store, simulator, clock).RunAsync(day, send: true, CancellationToken.None);

        Assert.AreEqual(CommitStatus.Failed, run.Commit.Status);
        StringAssert.StartsWith(run.MailStatus, "not sent: the summary could not be stored");
        Assert.AreEqual(CommitStatus.Committed, again.Commit.Status);
        var mail = simulator.Mail.Sent.Single();
        StringAssert.Contains(mail.Html, again.Summary.Anchor!.Digest);
        var verify = await VerifyAsync(store, "--anchor", again.Summary.Anchor.Digest);
        Assert.AreEqual(0, verify.ExitCode, Describe(Report(verify)));
    }

    /// <summary>A writer that stopped between claim and manifest, then a daily summary: the anchored head is pending, not cut.</summary>
    [TestMethod]
    public async Task AnAnchoredHeadThatIsClaimedButNotYetWrittenIsPendingNotCut()
    {
        await using var store = TestStore.Create();
        var day = SummaryFixture.Day(0);
        await SummaryFixture.CommitDayAsync(store, day);
        var next = new TimeWindow(SummaryFixture.Start(day).AddDays(1), SummaryFixture.Start(day).AddDays(1).AddMinutes(15));
        var outage = new FailWhenPolicy(StorageRequests.IsManifestPut);
        var crashing = store.NewWriter(store.Connect(o => o.AddPolicy(outage, HttpPipelinePosition.PerRetry)));
        var failed = await crashing.CommitWindowAsync(Records.Batch(next, SummaryFixture.Stream), Records.Source(Records.Synthetic(3, 300, seed: 5)), CancellationToken.None);
        Assert.AreEqual(CommitStatus.Failed, failed.Status);
        StringAssert.Contains(failed.Reason, "nothing has to be collected again", "the error record says the window is claimed, not lost");

        var run = await SummaryFixture.Service(store, new ShiftedClock(SummaryFixture.Start(day).AddDays(1).AddHours(6))).RunAsync(day, send: false, CancellationToken.None);
        var verify = await VerifyAsync(store, "--anchor", run.Summary.Anchor!.Digest);

        Assert.AreEqual(0, verify.ExitCode, Describe(Report(verify)));
        Assert.HasCount(1, Report(verify).PendingClaims);
        var head = run.Summary.Anchor.Heads.Single(h => h.Stream == SummaryFixture.Stream.Name);
        Assert.AreNotEqual(EvidencePaths.Manifest(SummaryFixture.Stream, next), head.Manifest, "the unwritten manifest is not anchored: the last written one is");
        Assert.IsTrue((await store.Evidence.GetBlobClient(head.Manifest).ExistsAsync()).Value);
    }

    /// <summary>
    /// The newest manifest of a stream, deleted after a summary anchored it, while its claim (the newest) still
    /// holds it: a cut, not a writer that stopped half-way.
    /// </summary>
    [TestMethod]
    public async Task DeletingTheNewestAnchoredManifestIsACutEvenThoughItsClaimStillHoldsIt()
    {
        await using var store = TestStore.Create();
        var day = SummaryFixture.Day(0);
        await SummaryFixture.CommitDayAsync(store, day);
        var run = await SummaryFixture.Service(store, new ShiftedClock(SummaryFixture.Start(day).AddDays(1).AddHours(6))).RunAsync(day, send: false, CancellationToken.None);
        var head = run.Summary.Anchor!.Heads.Single(h => h.Stream == SummaryFixture.Stream.Name);
        var before = await VerifyAsync(store, "--anchor", run.Summary.Anchor.Digest);

        await store.Evidence.GetBlobClient(head.Manifest).DeleteAsync();
        var after = await VerifyAsync(store, "--anchor", run.Summary.Anchor.Digest);

        Assert.AreEqual(0, before.ExitCode, Describe(Report(before)));
        Assert.AreEqual(1, after.ExitCode, Describe(Report(after)));
        var problem = Report(after).Problems.Single(p => p.Kind == "head-missing");
        Assert.AreEqual(head.Manifest, problem.Blob);
        StringAssert.Contains(problem.Detail, "its claim still holds it");
    }
}
