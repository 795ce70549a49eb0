using System.Globalization;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Events;

/// <summary>What became of one queued message: handled (evidence, rejection, or both), or put back on its queue for later.</summary>
public sealed record QueuedEventResult(EventIngestionResult? Handled, EventRequeue? Requeued);

/// <summary>A message put back on its queue: the new message, how often this message has been put back, when it is visible again, and why.</summary>
public sealed record EventRequeue(string MessageId, int Count, TimeSpan Delay, DateTimeOffset VisibleAt, string Cause);

/// <summary>
/// One Storage-queue message through the event handler, as the queue-triggered functions run it (they only
/// call this; the tests call it against a real Azurite queue). A stream lock held by another writer for
/// longer than the message may wait is no fault of the message and usually passes within a minute. Failing
/// the delivery would cost one of host.json's maxDequeueCount attempts each time, and after five a good
/// event would sit in the poison queue. Instead the message is put back on its own queue as a new message
/// with the same body, invisible for <see cref="EventsOptions.RequeueMinDelaySeconds"/> to
/// <see cref="EventsOptions.RequeueMaxDelaySeconds"/> (random, so writers that collided do not collide again),
/// and this delivery completes. After <see cref="EventsOptions.MaxRequeues"/> re-enqueues a lock timeout
/// fails the delivery like any other failure. Everything else is the handler's: bad input becomes a
/// rejection record, a storage failure throws.
/// </summary>
public sealed partial class QueuedEventProcessor(EventIngestionHandler handler, QueueServiceClient queues, IOptions<EventsOptions> options, TimeProvider time, ILogger<QueuedEventProcessor> logger)
{
    /// <summary>
    /// The first line of a re-enqueued message: <c>#collectors-requeue count=N</c>, then the original text unchanged.
    /// The count has to travel in the body: a Storage queue message has no properties of its own (only its id,
    /// pop receipt, times and dequeue count, which a new message starts afresh), and keeping counts elsewhere
    /// would be one more write per message. A header line adds some 30 bytes and leaves the original byte for
    /// byte, where a JSON wrapper would escape every quote (or Base64 it: a third more) and could push a message
    /// near the 64 KiB limit over it. '#' starts neither JSON nor Base64, so no delivered event is mistaken for a
    /// re-enqueued one; a forged header only changes how often its sender's own message is put back.
    /// </summary>
    public const string RequeueHeader = "#collectors-requeue count=";

    public async Task<QueuedEventResult> ProcessAsync(string queueName, string message, CancellationToken cancellationToken)
    {
        var (count, body) = Unwrap(message);
        var limits = options.Value;
        using var timer = new CancellationTokenSource(TimeSpan.FromSeconds(limits.MessageTimeoutSeconds), time);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            var result = await handler.HandleAsync(EventOrigin.Queue(queueName), BinaryData.FromString(body), patience.Token).ConfigureAwait(false);
            LogHandled(logger, queueName, result.Accepted, result.Duplicates, result.Rejected, result.RejectionRecord);
            return new QueuedEventResult(result, null);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (ex is TimeoutException || (ex is OperationCanceledException && timer.IsCancellationRequested)))
        {
            var cause = ex is TimeoutException
                ? ex.Message
                : string.Create(CultureInfo.InvariantCulture, $"the message was not handled within {limits.MessageTimeoutSeconds} s (Collectors__Events__MessageTimeoutSeconds), most likely waiting for a stream's lock");
            if (count >= limits.MaxRequeues)
            {
                LogGivingUp(logger, queueName, count, cause);
                if (ex is TimeoutException)
                {
                    throw;
                }

                throw new TimeoutException($"{cause}; put back {count} times already (Collectors__Events__MaxRequeues), so this delivery fails and the queue retries it.", ex);
            }

            var delay = TimeSpan.FromSeconds(Random.Shared.Next(limits.RequeueMinDelaySeconds, limits.RequeueMaxDelaySeconds + 1));
            var receipt = (await queues.GetQueueClient(queueName).SendMessageAsync(Wrap(count + 1, body), delay, timeToLive: null, cancellationToken).ConfigureAwait(false)).Value;
            LogRequeued(logger, queueName, receipt.MessageId, delay.TotalSeconds, count + 1, limits.MaxRequeues, cause);
            return new QueuedEventResult(null, new EventRequeue(receipt.MessageId, count + 1, delay, receipt.TimeNextVisible, cause));
        }
    }

    /// <summary>The re-enqueue count and the original message; (0, the message) for anything without a well-formed header.</summary>
    public static (int Count, string Body) Unwrap(string message)
    {
        if (!message.StartsWith(RequeueHeader, StringComparison.Ordinal))
        {
            return (0, message);
        }

        var newline = message.IndexOf('\n', RequeueHeader.Length);
        return newline > RequeueHeader.Length
            && newline - RequeueHeader.Length <= 9
            && int.TryParse(message.AsSpan(RequeueHeader.Length, newline - RequeueHeader.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1
                ? (count, message[(newline + 1)..])
                : (0, message);
    }

    public static string Wrap(int count, string body) => string.Create(CultureInfo.InvariantCulture, $"{RequeueHeader}{count}\n{body}");

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue {Queue} message: {Accepted} event(s) committed, {Duplicates} already committed, {Rejected} refused (rejection record {Record})")]
    private static partial void LogHandled(ILogger logger, string queue, int accepted, int duplicates, int rejected, string? record);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue {Queue} message put back as {MessageId}, visible again in {DelaySeconds} s (re-enqueue {Count} of at most {MaxRequeues}); this delivery completes: {Cause}")]
    private static partial void LogRequeued(ILogger logger, string queue, string messageId, double delaySeconds, int count, int maxRequeues, string cause);

    [LoggerMessage(Level = LogLevel.Error, Message = "Queue {Queue} message was put back {Count} times already; this delivery fails (retried, then the poison queue): {Cause}")]
    private static partial void LogGivingUp(ILogger logger, string queue, int count, string cause);
}
