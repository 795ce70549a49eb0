using Collectors.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Evidence;

/// <summary>
/// EvidenceWriter.CommitWindowsAsync: the next window is read while the previous ones are appended. The source
/// is still read one window at a time, the chain keeps the windows' order, and the timer's stop-at-first-failure
/// holds.
/// </summary>
[TestClass]
public sealed class PipelinedCommitTests
{
    private static readonly Exception Refused = new EvidenceSourceException("the source refused this window");

    private static (List<EvidenceBatch> Batches, Func<EvidenceBatch, RecordSource> Sources, List<int> Read, Func<int> MaxInFlight) Windows(int count, int failAt = -1)
    {
        var batches = Enumerable.Range(0, count).Select(i => Records.Batch(Records.Window(i))).ToList();
        var read = new List<int>();
        var inFlight = 0;
        var maxInFlight = 0;
        RecordSource For(EvidenceBatch batch)
        {
            var index = batches.FindIndex(b => b.Window == batch.Window);
            return (log, ct) => Read(index, log, ct);
        }

        async IAsyncEnumerable<ReadOnlyMemory<byte>> Read(int index, SourceLog log, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            lock (read)
            {
                read.Add(index);
                maxInFlight = Math.Max(maxInFlight, ++inFlight);
            }

            try
            {
                log.AddRequest(new SourceRequest("GET", $"https://source.invalid/{index}", null, null));
                log.AddPage();
                await Task.Delay(20, ct);
                if (index == failAt)
                {
                    throw Refused;
                }

                foreach (var record in Records.Synthetic(3, 200, seed: index))
                {
                    yield return record;
                }

                log.MarkComplete();
            }
            finally
            {
                lock (read)
                {
                    inFlight--;
                }
            }
        }

        return (batches, For, read, () => maxInFlight);
    }

    [TestMethod]
    public async Task EveryWindowIsCommittedInWindowOrderWithTheSourceReadOneWindowAtATime()
    {
        await using var store = TestStore.Create();
        var (batches, sources, read, maxInFlight) = Windows(12);

        var results = await store.Writer.CommitWindowsAsync(batches, sources, stopAtFailure: true, depth: 4, progress: null, CancellationToken.None);

        Assert.HasCount(12, results);
        Assert.IsTrue(results.All(r => r.Status == CommitStatus.Committed), string.Join("; ", results.Select(r => r.Reason)));
        CollectionAssert.AreEqual(Enumerable.Range(0, 12).ToList(), read, "windows are read in order, each once");
        Assert.AreEqual(1, maxInFlight(), "one source request in flight per stream");
        var manifests = new List<CommittedManifest>();
        await foreach (var m in store.Reader.ManifestsAsync(Records.Stream, Records.Window(0).Start, Records.Window(11).End, CancellationToken.None))
        {
            manifests.Add(m);
        }

        var bySequence = manifests.OrderBy(m => m.Manifest.Sequence).Select(m => m.Manifest.Window.Start).ToList();
        CollectionAssert.AreEqual(bySequence.Order().ToList(), bySequence, "the chain holds the windows in their order");
        CollectionAssert.AreEqual(Enumerable.Range(0, 12).Select(i => (long)i).ToList(), manifests.Select(m => m.Manifest.Sequence).Order().ToList(), "consecutive sequence numbers, none lost");
        var checkpoint = await store.Writer.ReadCheckpointAsync(Records.Stream, CancellationToken.None);
        Assert.AreEqual(Records.Window(11).End, checkpoint.NextWindowStart);
    }

    [TestMethod]
    public async Task AScheduledRunStopsReadingAtTheFirstFailureAndTheCursorHoldsThere()
    {
        await using var store = TestStore.Create();
        var (batches, sources, read, _) = Windows(8, failAt: 3);

        var results = await store.Writer.CommitWindowsAsync(batches, sources, stopAtFailure: true, depth: 4, progress: null, CancellationToken.None);

        CollectionAssert.AreEqual(new[] { CommitStatus.Committed, CommitStatus.Committed, CommitStatus.Committed, CommitStatus.Failed }, results.Select(r => r.Status).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, read, "nothing after the failed window is read");
        Assert.IsNotNull(results[3].ErrorRecord);
        var checkpoint = await store.Writer.ReadCheckpointAsync(Records.Stream, CancellationToken.None);
        Assert.AreEqual(Records.Window(3).Start, checkpoint.NextWindowStart, "the next run starts at the failed window");
    }

    [TestMethod]
    public async Task ABackfillGoesOnPastAFailedWindowAndAReRunCommitsNothingNew()
    {
        await using var store = TestStore.Create();
        var (batches, sources, _, _) = Windows(8, failAt: 3);
        var progress = new List<CommitResult>();

        var results = await store.Writer.CommitWindowsAsync(batches, sources, stopAtFailure: false, depth: 4, new SynchronousProgress(progress), CancellationToken.None);
        var again = await store.Writer.CommitWindowsAsync(batches, Windows(8).Sources, stopAtFailure: false, depth: 4, progress: null, CancellationToken.None);

        Assert.HasCount(8, results);
        Assert.AreEqual(7, results.Count(r => r.Status == CommitStatus.Committed));
        Assert.AreEqual(CommitStatus.Failed, results[3].Status);
        Assert.HasCount(8, progress, "every window is reported once");
        Assert.AreEqual(7, again.Count(r => r.Status == CommitStatus.AlreadyCommitted));
        Assert.AreEqual(CommitStatus.Committed, again[3].Status, "the failed window is committed by the next run");
    }

    private sealed class SynchronousProgress(List<CommitResult> into) : IProgress<CommitResult>
    {
        public void Report(CommitResult value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }
}
