using Collectors.Events;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;

namespace Collectors.Functions;

/// <summary>
/// Queue trigger on %DR_EVENTS_QUEUE%: hands each DR drill message to the queued-event processor. A bad message
/// is recorded as a rejection and completes; a stream lock not had in time puts the message back on the queue
/// for later and completes; a storage failure throws, so the message is retried and, after host.json's
/// maxDequeueCount, moved to the poison queue.
/// </summary>
public sealed class DrEventsFunction(QueuedEventProcessor processor, IConfiguration configuration)
{
    [Function("dr-tests")]
    public async Task RunAsync([QueueTrigger("%DR_EVENTS_QUEUE%")] string message, CancellationToken cancellationToken) =>
        await processor.ProcessAsync(configuration["DR_EVENTS_QUEUE"] ?? "dr-events", message, cancellationToken);
}
