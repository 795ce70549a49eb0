using Collectors.Events;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;

namespace Collectors.Functions;

/// <summary>
/// Queue trigger on %POLICY_EVENTS_QUEUE%: hands each message to the queued-event processor. A bad message is
/// recorded as a rejection and completes; a stream lock not had in time puts the message back on the queue for
/// later and completes; a storage failure throws, so the message is retried and, after host.json's
/// maxDequeueCount, moved to the poison queue.
/// </summary>
public sealed class PolicyEventsFunction(QueuedEventProcessor processor, IConfiguration configuration)
{
    [Function("policy-states")]
    public async Task RunAsync([QueueTrigger("%POLICY_EVENTS_QUEUE%")] string message, CancellationToken cancellationToken) =>
        await processor.ProcessAsync(configuration["POLICY_EVENTS_QUEUE"] ?? "policy-events", message, cancellationToken);
}
