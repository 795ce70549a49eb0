using System.Net.Sockets;
using Azure;
using Collectors.Evidence;

namespace Collectors.Events;

/// <summary>
/// Which failures while handling a message must fail the delivery (so the queue retries it) rather than
/// refuse the message: the evidence store failing or unreachable, a stream's lock not had in time,
/// a store that is not configured, and cancellation. None of these is the message's fault, and each
/// may pass. Everything else that goes wrong while handling a message is about the message, and
/// becomes its rejection record.
/// </summary>
internal static class DeliveryFailure
{
    public static bool IsRetryable(Exception exception) => exception switch
    {
        OperationCanceledException => true,
        RequestFailedException => true,
        HttpRequestException or SocketException => true,

        // CheckpointStore.LockAsync: another writer holds the stream's lock longer than the wait limit.
        TimeoutException => true,
        EvidenceStoreConfigurationException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsRetryable),

        // Content that does not match its manifest, or a record that is not JSON: about data, not transport.
        InvalidDataException => false,

        // A response body cut off in transit.
        IOException => true,
        _ => exception.InnerException is { } inner && IsRetryable(inner),
    };
}
