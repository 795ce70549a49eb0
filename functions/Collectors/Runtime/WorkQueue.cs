using Azure.Storage.Queues;

namespace Collectors.Runtime;

/// <summary>
/// The Storage queue work items go through (<c>COLLECTOR_WORK_QUEUE</c>, in the Functions runtime account):
/// the timer functions put them on it, the queue-triggered <c>collector-work</c> function takes them off, and
/// the Functions scale controller adds instances as the queue grows. Messages are JSON text
/// (host.json: messageEncoding none).
/// </summary>
public sealed class WorkQueue(QueueClient queue)
{
    public const string Setting = "COLLECTOR_WORK_QUEUE";
    public const string DefaultName = "collector-work";

    /// <summary>The source named by rejection records of refused work-queue messages (rejections/collector-work/…).</summary>
    public const string RejectionSource = "collector-work";

    public string Name => queue.Name;

    public async Task SendAsync(IReadOnlyList<WorkItem> items, CancellationToken cancellationToken) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (item, ct) =>
            await queue.SendMessageAsync(item.ToMessage(), ct).ConfigureAwait(false)).ConfigureAwait(false);
}
