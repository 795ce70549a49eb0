using Collectors.Events;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Collectors.Functions;

/// <summary>
/// Queue trigger on %DR_EVENTS_QUEUE%: hands each DR drill message to the event handler. A bad message is
/// recorded as a rejection and completes; a storage failure throws, so the message is retried and, after
/// host.json's maxDequeueCount, moved to the poison queue.
/// </summary>
public sealed partial class DrEventsFunction(EventIngestionHandler handler, IConfiguration configuration, ILogger<DrEventsFunction> logger)
{
    [Function("dr-tests")]
    public async Task RunAsync([QueueTrigger("%DR_EVENTS_QUEUE%")] string message, CancellationToken cancellationToken)
    {
        var queue = configuration["DR_EVENTS_QUEUE"] ?? "dr-events";
        var result = await handler.HandleAsync(EventOrigin.Queue(queue), BinaryData.FromString(message), cancellationToken);
        LogHandled(logger, queue, result.Accepted, result.Duplicates, result.Rejected, result.RejectionRecord);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue {Queue} message: {Accepted} event(s) committed, {Duplicates} already committed, {Rejected} refused (rejection record {Record})")]
    private static partial void LogHandled(ILogger logger, string queue, int accepted, int duplicates, int rejected, string? record);
}
