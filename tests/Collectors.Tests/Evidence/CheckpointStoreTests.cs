using Collectors.Evidence;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collectors.Tests.Evidence;

[TestClass]
public sealed class CheckpointStoreTests
{
    [TestMethod]
    public async Task RebuildsAMissingCheckpointFromTheManifestsAndTheHeadFromTheClaims()
    {
        await using var store = TestStore.Create();
        foreach (var i in new[] { 0, 1, 2, 4 })
        {
            await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(5, seed: i)), CancellationToken.None);
        }

        var before = await store.Writer.Checkpoints.ReadAsync(Records.Stream, CancellationToken.None);
        await store.State.DeleteBlobAsync(CheckpointStore.BlobName(Records.Stream));

        var rebuilt = await store.NewWriter().Checkpoints.ReadAsync(Records.Stream, CancellationToken.None);

        Assert.IsNotNull(rebuilt.RebuiltAt);
        Assert.IsNull(rebuilt.Head, "the head is not guessed from a listing: the next writer finds it in the chain claims");
        Assert.AreEqual(Records.Window(3).Start, rebuilt.NextWindowStart, "the timer resumes at the first hole");
        var next = await store.NewWriter().CommitWindowAsync(Records.Batch(Records.Window(3)), Records.Source(Records.Synthetic(2)), CancellationToken.None);
        var manifests = await EvidenceWriterTests.LoadManifestsAsync(store);
        var committed = manifests.Single(m => m.Name == next.Manifest);
        Assert.AreEqual(4, committed.Manifest.Sequence);
        Assert.AreEqual(before.Head!.Manifest, committed.Manifest.Previous!.Manifest, "the chain continues from the head the claims hold");
        Assert.AreEqual(before.Head.Sha256, committed.Manifest.Previous.Sha256);
    }

    [TestMethod]
    public async Task ACheckpointWhoseHeadIsWrongIsCorrectedFromTheClaims()
    {
        await using var store = TestStore.Create();
        foreach (var i in new[] { 0, 1, 2 })
        {
            await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(3, seed: i)), CancellationToken.None);
        }

        var truth = (await store.Writer.Checkpoints.ReadAsync(Records.Stream, CancellationToken.None)).Head!;
        await using (var streamLock = await store.Writer.Checkpoints.LockAsync(Records.Stream, CancellationToken.None))
        {
            // The mutable cache says the chain ends at a manifest that does not exist (tampered, or restored from a backup).
            var current = await streamLock.ReadAsync(CancellationToken.None);
            var ghost = truth with { Manifest = EvidencePaths.Manifest(Records.Stream, Records.Window(9)), Sha256 = new string('0', 64), Sequence = 7 };
            await streamLock.WriteAsync(current with { Head = ghost }, CancellationToken.None);
        }

        var result = await store.NewWriter().CommitWindowAsync(Records.Batch(Records.Window(3)), Records.Source(Records.Synthetic(3)), CancellationToken.None);

        var manifest = (await EvidenceWriterTests.LoadManifestsAsync(store)).Single(m => m.Name == result.Manifest).Manifest;
        Assert.AreEqual(3, manifest.Sequence, "the claims, not the cache, say where the chain ends");
        Assert.AreEqual(truth.Manifest, manifest.Previous!.Manifest);
        Assert.AreEqual(truth.Sha256, manifest.Previous.Sha256);
    }

    [TestMethod]
    public async Task ALockedStreamMakesTheNextWriterWait()
    {
        await using var store = TestStore.Create();
        await store.State.CreateIfNotExistsAsync();
        await store.Evidence.CreateIfNotExistsAsync();
        var checkpoints = new CheckpointStore(store.State, store.Evidence, TimeProvider.System, NullLogger.Instance);
        var first = await checkpoints.LockAsync(Records.Stream, CancellationToken.None);
        var second = checkpoints.LockAsync(Records.Stream, CancellationToken.None);

        var finishedWhileHeld = await Task.WhenAny(second, Task.Delay(1500)) == second;
        await first.DisposeAsync();
        await using var acquired = await second;

        Assert.IsFalse(finishedWhileHeld, "a second writer must not get the lock while the first holds it");
        Assert.AreEqual(Records.Stream, acquired.Stream);
    }
}

[TestClass]
public sealed class CursorTests
{
    [TestMethod]
    public async Task TheCursorMovesPastWindowsThatAreAlreadyCommitted()
    {
        await using var store = TestStore.Create();
        await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source(Records.Synthetic(2)), CancellationToken.None);
        await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(1)), Records.Source(Records.Synthetic(2), complete: false), CancellationToken.None);
        await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(2)), Records.Source(Records.Synthetic(2)), CancellationToken.None);
        await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(3)), Records.Source(Records.Synthetic(2)), CancellationToken.None);
        Assert.AreEqual(Records.Window(1).Start, (await store.Writer.ReadCheckpointAsync(Records.Stream, CancellationToken.None)).NextWindowStart, "the failed window holds the cursor");

        // The timer's next run: retries window 1, then meets 2 and 3 already committed.
        foreach (var i in new[] { 1, 2, 3 })
        {
            await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(2, seed: 7)), CancellationToken.None);
        }

        Assert.AreEqual(Records.Window(4).Start, (await store.Writer.ReadCheckpointAsync(Records.Stream, CancellationToken.None)).NextWindowStart, "and does not stall on them");
    }

    [TestMethod]
    public async Task ACursorBeyondTheRetentionIsMovedAndKept()
    {
        await using var store = TestStore.Create();
        await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source(Records.Synthetic(2)), CancellationToken.None);

        await store.Writer.MoveCursorAsync(Records.Stream, Records.Window(10).Start, CancellationToken.None);
        await store.Writer.MoveCursorAsync(Records.Stream, Records.Window(5).Start, CancellationToken.None);

        Assert.AreEqual(Records.Window(10).Start, (await store.Writer.ReadCheckpointAsync(Records.Stream, CancellationToken.None)).NextWindowStart, "moved forward, never back");
    }
}
