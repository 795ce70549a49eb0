using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Sas;
using Collectors.Evidence;
using Collectors.Tests.Evidence;
using Collectors.Tests.Infrastructure;
using Collectors.Verification;

namespace Collectors.Tests.Verification;

[TestClass]
public sealed class VerifyCommandTests
{
    private static async Task<TestStore> StoreWithWindowsAsync(params int[] windows)
    {
        var store = TestStore.Create();
        foreach (var i in windows)
        {
            var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(40 + i, 600, seed: i)), CancellationToken.None);
            Assert.AreEqual(CommitStatus.Committed, result.Status, result.Reason);
        }

        return store;
    }

    private static Task<CliRun> VerifyAsync(TestStore store, params string[] extra) =>
        CollectorsCommand.RunAsync(["verify", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container, .. extra]);

    private static async Task<VerificationReport> VerifyJsonAsync(TestStore store, int expectedExit, params string[] extra)
    {
        var run = await VerifyAsync(store, ["--json", .. extra]);
        Assert.AreEqual(expectedExit, run.ExitCode, run.Output + run.Error);
        return JsonSerializer.Deserialize<VerificationReport>(run.Output, EvidenceJson.Options)!;
    }

    private static string ManifestName(int window) => EvidencePaths.Manifest(Records.Stream, Records.Window(window));

    [TestMethod]
    public async Task IntactStoreExitsZeroAndSaysSo()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 2, 3);

        var run = await VerifyAsync(store);

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "Result: INTACT");
        StringAssert.Contains(run.Output, "4 manifests");
        StringAssert.Contains(run.Output, "immutability NOT enforced");
    }

    [TestMethod]
    public async Task DetectsOneFlippedByteInAContentBlob()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 2, 3);
        var manifest = (await store.Evidence.GetBlobClient(ManifestName(2)).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;
        var blob = store.Evidence.GetBlobClient(manifest.Content.Blob);
        var bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[bytes.Length / 2] ^= 0x01;
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);

        var report = await VerifyJsonAsync(store, 1);

        Assert.IsFalse(report.Intact);
        var problem = report.Problems.Single(p => p.Blob == manifest.Content.Blob && p.Kind is ProblemKinds.ContentCorrupt or ProblemKinds.ContentHashMismatch);
        StringAssert.Contains(problem.Detail, manifest.Content.Sha256);
        Assert.IsTrue(report.Problems.All(p => p.Blob == manifest.Content.Blob), "only the damaged blob is reported");
    }

    [TestMethod]
    public async Task DetectsAManifestDeletedFromTheMiddleOfAChain()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 2, 3, 4);
        await store.Evidence.DeleteBlobAsync(ManifestName(2));

        var report = await VerifyJsonAsync(store, 1);

        Assert.IsTrue(report.Problems.Any(p => p.Kind == ProblemKinds.ChainBreak && p.Blob == ManifestName(3)), Describe(report));
        Assert.IsTrue(report.Problems.Any(p => p.Kind == ProblemKinds.WindowGap), Describe(report));
        Assert.HasCount(1, report.Orphans, "the deleted manifest's content is now an orphan");
    }

    [TestMethod]
    public async Task DetectsAManifestWhosePreviousPointsElsewhere()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 2, 3);
        var manifests = await EvidenceWriterTests.LoadManifestsAsync(store);
        var first = manifests.Single(m => m.Manifest.Sequence == 0);
        var third = manifests.Single(m => m.Manifest.Sequence == 2);
        var forged = third.Manifest with { Previous = new ManifestLink(first.Name, first.Sha256) };
        // Re-signed with the real key (an insider): the chain and its claim still catch the re-pointing.
        await store.Evidence.GetBlobClient(third.Name).UploadAsync(await store.SealAsync(forged), overwrite: true);

        var report = await VerifyJsonAsync(store, 1);

        var problem = report.Problems.Single(p => p.Blob == third.Name && p.Kind == ProblemKinds.ChainMismatch);
        StringAssert.Contains(problem.Detail, first.Name);
        Assert.IsTrue(report.Problems.Any(p => p.Blob == third.Name && p.Kind == ProblemKinds.ClaimMismatch), Describe(report));
        Assert.IsFalse(report.Problems.Any(p => p.Kind.StartsWith("signature", StringComparison.Ordinal)), Describe(report));
    }

    [TestMethod]
    public async Task DetectsARecordCountMismatch()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 2);
        var head = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Manifest.Sequence == 2);
        var altered = head.Manifest with { Content = head.Manifest.Content with { Records = head.Manifest.Content.Records + 1 } };
        await store.Evidence.GetBlobClient(head.Name).UploadAsync(await store.SealAsync(altered), overwrite: true);

        var report = await VerifyJsonAsync(store, 1);

        var problem = report.Problems.Single(p => p.Kind == ProblemKinds.RecordCountMismatch);
        StringAssert.Contains(problem.Detail, $"{head.Manifest.Content.Records} records stored");
        var claim = report.Problems.Single(p => p.Kind != ProblemKinds.RecordCountMismatch);
        Assert.AreEqual(ProblemKinds.ClaimMismatch, claim.Kind, "the chain claim still holds the manifest as first written");
    }

    [TestMethod]
    public async Task DetectsAWindowGap()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 3, 4);

        var report = await VerifyJsonAsync(store, 1);

        var problem = report.Problems.Single();
        Assert.AreEqual(ProblemKinds.WindowGap, problem.Kind);
        StringAssert.Contains(problem.Detail, "2026-11-25T00:30:00Z–2026-11-25T00:45:00Z");
    }

    [TestMethod]
    public async Task ReportsAnOrphanWithoutFailing()
    {
        await using var store = await StoreWithWindowsAsync(0, 1);
        var orphan = EvidencePaths.Content(Records.Stream, Records.Window(1), "20261125T010000000Z-deadbeef");
        await store.Evidence.UploadBlobAsync(orphan, new BinaryData([0x1f, 0x8b]));

        var report = await VerifyJsonAsync(store, 0);

        Assert.IsTrue(report.Intact);
        CollectionAssert.AreEqual(new[] { orphan }, report.Orphans.ToArray());
    }

    [TestMethod]
    public async Task ListsErrorRecordsWithTheirReasonsWithoutFailing()
    {
        await using var store = await StoreWithWindowsAsync(0);
        var failed = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(1)), Records.Source(Records.Synthetic(3), complete: false), CancellationToken.None);

        var report = await VerifyJsonAsync(store, 0);

        var error = report.ErrorRecords.Single();
        Assert.AreEqual(failed.ErrorRecord, error.Blob);
        Assert.IsFalse(error.WindowCommittedSince);
        StringAssert.Contains(error.Reason, "complete");
    }

    [TestMethod]
    public async Task RangeAndStreamFiltersVerifyOnlyWhatTheyName()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 3, 4, 5);
        var other = new EvidenceStream("entra-signins", "tenant-1");
        await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0), other), Records.Source(Records.Synthetic(5)), CancellationToken.None);

        var inRange = await VerifyJsonAsync(store, 0, "--stream", Records.Stream.Name, "--from", "2026-11-25T00:45:00Z", "--to", "2026-11-25T01:30:00Z");
        var whole = await VerifyJsonAsync(store, 1);

        Assert.AreEqual(3, inRange.ManifestsChecked, "windows 3, 4 and 5; the chain link into window 1 is still checked");
        Assert.AreEqual(Records.Stream.Name, inRange.Streams.Single().Stream);
        Assert.HasCount(2, whole.Streams);
        Assert.AreEqual(ProblemKinds.WindowGap, whole.Problems.Single().Kind);
    }

    [TestMethod]
    public async Task VerifiesThroughAContainerSasAsAnAuditorWould()
    {
        await using var store = await StoreWithWindowsAsync(0, 1, 2);
        var sas = store.Evidence.GenerateSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddHours(1));
        var readOnly = store.Evidence.GenerateSasUri(BlobContainerSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));

        var ok = await CollectorsCommand.RunAsync("verify", "--sas-url", sas.ToString());
        var refused = await CollectorsCommand.RunAsync("verify", "--sas-url", readOnly.ToString());

        Assert.AreEqual(0, ok.ExitCode, ok.Output + ok.Error);
        StringAssert.Contains(ok.Output, "container SAS");
        Assert.DoesNotContain("sig=", ok.Output, "the report never prints the signature");
        Assert.AreEqual(2, refused.ExitCode, refused.Output + refused.Error);
        StringAssert.Contains(refused.Error, "list (l)");
    }

    [TestMethod]
    public async Task UsageAndConfigurationErrorsExitTwo()
    {
        var noStore = await CollectorsCommand.RunAsync(new Dictionary<string, string?> { ["Evidence:ConnectionString"] = null }, "verify");
        var badDate = await CollectorsCommand.RunAsync("verify", "--connection-string", Azurite.ConnectionString, "--from", "yesterday");
        var unknown = await CollectorsCommand.RunAsync("verify", "--frobnicate");
        var twoWays = await CollectorsCommand.RunAsync("verify", "--connection-string", Azurite.ConnectionString, "--sas-url", "https://a.blob.core.windows.net/evidence?sig=x");
        var badStream = await CollectorsCommand.RunAsync("verify", "--connection-string", Azurite.ConnectionString, "--stream", "no-slash");
        var missingContainer = await CollectorsCommand.RunAsync("verify", "--connection-string", Azurite.ConnectionString, "--container", "does-not-exist-" + Guid.NewGuid().ToString("N")[..8]);

        Assert.AreEqual(2, noStore.ExitCode);
        StringAssert.Contains(noStore.Error, "Evidence__BlobServiceUri");
        Assert.AreEqual(2, badDate.ExitCode);
        StringAssert.Contains(badDate.Error, "ISO-8601");
        Assert.AreEqual(2, unknown.ExitCode);
        Assert.AreEqual(2, twoWays.ExitCode);
        Assert.AreEqual(2, badStream.ExitCode);
        StringAssert.Contains(badStream.Error, "<collector>/<scope>");
        Assert.AreEqual(2, missingContainer.ExitCode);
        StringAssert.Contains(missingContainer.Error, "not found");
    }

    private static string Describe(VerificationReport report) =>
        string.Join(Environment.NewLine, report.Problems.Select(p => $"{p.Kind} {p.Blob}: {p.Detail}"));
}
