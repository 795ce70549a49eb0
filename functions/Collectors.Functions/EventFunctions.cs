using Collectors.Events;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;

namespace Collectors.Functions;

/// <summary>
/// One queue trigger per event collector, named by its id, on the queue its collector.json names: each hands
/// the message to the queued-event processor. A bad message is recorded as a rejection and completes; a stream
/// lock not had in time puts the message back for later; a storage failure throws, so the message is retried
/// and, after host.json's maxDequeueCount, moved to the poison queue.
/// </summary>
public sealed class EventFunctions(QueuedEventProcessor processor, IConfiguration configuration)
{
    [Function("policy-states")]
    public Task PolicyStatesAsync([QueueTrigger("%POLICY_STATES_QUEUE%")] string message, CancellationToken cancellationToken) =>
        processor.ProcessAsync(configuration["POLICY_STATES_QUEUE"] ?? "policy-states", message, cancellationToken);

    [Function("dr-tests")]
    public Task DrTestsAsync([QueueTrigger("%DR_TESTS_QUEUE%")] string message, CancellationToken cancellationToken) =>
        processor.ProcessAsync(configuration["DR_TESTS_QUEUE"] ?? "dr-tests", message, cancellationToken);
}
