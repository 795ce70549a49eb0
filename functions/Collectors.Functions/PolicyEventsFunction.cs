using Collectors.Events;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Collectors.Functions;

/// <summary>
/// Queue trigger on %POLICY_EVENTS_QUEUE%: hands each message to the event handler. A bad message is
/// recorded as a rejection and completes; a storage failure throws, so the message is retried and, after
/// host.json's maxDequeueCount, moved to the poison queue.
/// </summary>
public sealed partial class PolicyEventsFunction(EventIngestionHandler handler, IConfiguration configuration, ILogger<PolicyEventsFunction> logger)
{
    [Function("policy-states")]
    public async Task RunAsync([QueueTrigger("%POLICY_EVENTS_QUEUE%")] string message, CancellationToken cancellationToken)
    {
        var queue = configuration["POLICY_EVENTS_QUEUE"] ?? "policy-events";
        var result = await handler.HandleAsync(EventOrigin.Queue(queue), BinaryData.FromString(message), cancellationToken);
        LogHandled(logger, queue, result.Accepted, result.Duplicates, result.Rejected, result.RejectionRecord);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue {Queue} message: {Accepted} event(s) committed, {Duplicates} already committed, {Rejected} refused (rejection record {Record})")]
    private static partial void LogHandled(ILogger logger, string queue, int accepted, int duplicates, int rejected, string? record);
}
