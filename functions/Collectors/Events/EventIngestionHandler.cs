using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;

namespace Collectors.Events;

/// <summary>Where a message came from: a queue (its name), or a file given to the CLI.</summary>
public sealed record EventOrigin(string Kind, string Name)
{
    public static EventOrigin Queue(string name) => new("QUEUE", name);

    public static EventOrigin File(string path) => new("FILE", path);

    /// <summary>The folder of its rejection records: the queue's name, or <c>cli</c>.</summary>
    public string RejectionSource => Kind == "QUEUE" ? Name.ToLowerInvariant() : "cli";
}

/// <summary>What became of one event of a message.</summary>
public sealed record EventOutcome(int Index, string? Id, string? Type, CommitStatus? Status, string? Manifest, string? Rejection);

/// <summary>What became of one message: its events, and the rejection record if any event (or the message) was refused.</summary>
public sealed record EventIngestionResult(IReadOnlyList<EventOutcome> Events, string? RejectionRecord, string? Reason)
{
    public int Accepted => Events.Count(e => e.Status == CommitStatus.Committed);

    public int Duplicates => Events.Count(e => e.Status == CommitStatus.AlreadyCommitted);

    public int Rejected => RejectionRecord is null ? 0 : Math.Max(1, Events.Count(e => e.Rejection is not null));
}

/// <summary>
/// Turns one delivered message into evidence, knowing nothing of the Functions host (the queue trigger,
/// the CLI and the tests call it alike). A message is raw JSON or Base64-encoded JSON, holding one event
/// or an array, in the Event Grid schema or CloudEvents 1.0. Each event is routed by its type to an
/// <see cref="IEventRoute"/>, validated, and committed raw as its own event manifest (a redelivered
/// event id commits nothing new). Whatever is refused gets a write-once rejection record with the raw
/// message and the reason, and the call returns normally: bad input never throws. Storage failures do
/// throw, so the delivery is retried (and ends in the poison queue after the configured dequeue count).
/// </summary>
public sealed partial class EventIngestionHandler(IEnumerable<IEventRoute> routes, EvidenceWriter writer, TimeProvider time, ILogger<EventIngestionHandler> logger)
{
    /// <summary>Event windows are one second: names sort by the ordering instant to the second.</summary>
    public static readonly TimeSpan EventWindow = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<IEventRoute> _routes = [.. routes];

    public IReadOnlyCollection<string> EventTypes => [.. _routes.SelectMany(r => r.EventTypes).Order(StringComparer.Ordinal)];

    public async Task<EventIngestionResult> HandleAsync(EventOrigin origin, BinaryData message, CancellationToken cancellationToken)
    {
        var receivedAt = time.GetUtcNow();
        var bytes = message.ToMemory();
        var decoded = Decode(bytes);
        if (decoded.Reason is not null)
        {
            return await RejectAsync(origin, bytes, receivedAt, decoded.Reason, [], 0, [], cancellationToken).ConfigureAwait(false);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(decoded.Json, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException ex)
        {
            return await RejectAsync(origin, bytes, receivedAt, $"The message ({decoded.Encoding}) is not valid JSON: {ex.Message}", [], 0, [], cancellationToken).ConfigureAwait(false);
        }

        using (document)
        {
            var root = document.RootElement;
            var elements = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
            if (elements.Count == 0)
            {
                return await RejectAsync(origin, bytes, receivedAt, "The message is an empty JSON array: no event to store.", [], 0, [], cancellationToken).ConfigureAwait(false);
            }

            var outcomes = new List<EventOutcome>();
            var rejected = new List<RejectedEvent>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var index = 0; index < elements.Count; index++)
            {
                var element = elements[index];
                var (envelope, reason) = ReadEvent(index, element);
                IEventRoute? route = null;
                var placement = default(EventPlacement);
                if (envelope is not null)
                {
                    route = _routes.FirstOrDefault(r => r.EventTypes.Contains(envelope.Type, StringComparer.OrdinalIgnoreCase));
                    reason = route is null
                        ? $"no evidence stream takes events of type '{envelope.Type}' (taken: {string.Join(", ", EventTypes)})"
                        : Place(route, envelope, out placement);
                }

                if (envelope is null || route is null || reason is not null)
                {
                    var id = envelope?.Id ?? (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null);
                    var type = envelope?.Type ?? TypeOf(element);
                    rejected.Add(new RejectedEvent(index, id, type, reason ?? "unreadable event"));
                    outcomes.Add(new EventOutcome(index, id, type, null, null, reason));
                    continue;
                }

                if (!seen.Add(envelope.Id))
                {
                    outcomes.Add(new EventOutcome(index, envelope.Id, envelope.Type, CommitStatus.AlreadyCommitted, null, null));
                    continue;
                }

                var result = await CommitAsync(origin, decoded.Encoding, route, envelope, placement, cancellationToken).ConfigureAwait(false);
                outcomes.Add(new EventOutcome(index, envelope.Id, envelope.Type, result.Status, result.Manifest, null));
            }

            if (rejected.Count == 0)
            {
                return new EventIngestionResult(outcomes, null, null);
            }

            var summary = rejected.Count == 1 && elements.Count == 1
                ? $"The event was refused: {rejected[0].Reason}."
                : string.Create(CultureInfo.InvariantCulture, $"{rejected.Count} of {elements.Count} events were refused: {string.Join("; ", rejected.Select(r => r.Reason))}.");
            return await RejectAsync(origin, bytes, receivedAt, summary, rejected, elements.Count - rejected.Count, outcomes, cancellationToken).ConfigureAwait(false);
        }
    }

    private static (EventEnvelope? Envelope, string? Reason) ReadEvent(int index, JsonElement element)
    {
        try
        {
            return EventEnvelope.Read(index, element, JsonMarshal.GetRawUtf8Value(element).ToArray());
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return (null, $"event {index} could not be read: {ex.Message}");
        }
    }

    /// <summary>A route's validation is input handling too: whatever it throws refuses the event, never the delivery.</summary>
    private string? Place(IEventRoute route, EventEnvelope envelope, out EventPlacement placement)
    {
        try
        {
            placement = route.Place(envelope);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRouteFailed(logger, ex, route.Collector, envelope.Id);
            placement = default;
            return $"the {route.Collector} route could not read event {envelope.Index}: {ex.Message}";
        }

        if (placement.Rejection is not null)
        {
            return placement.Rejection;
        }

        try
        {
            _ = new EvidenceStream(route.Collector, placement.Scope ?? string.Empty);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"the {route.Collector} route placed event {envelope.Index} in an invalid scope: {ex.Message}";
        }
    }

    private async Task<CommitResult> CommitAsync(EventOrigin origin, string encoding, IEventRoute route, EventEnvelope envelope, EventPlacement placement, CancellationToken cancellationToken)
    {
        var stream = new EvidenceStream(route.Collector, placement.Scope!);
        var at = placement.At.ToUniversalTime();
        var start = new DateTimeOffset(at.Ticks - (at.Ticks % EventWindow.Ticks), TimeSpan.Zero);
        var window = new TimeWindow(start, start + EventWindow);
        var note = $"Event {envelope.Id} of type {envelope.Type} ({envelope.Schema} schema, message {encoding}), ordered by {TimeWindow.Iso(at)}.{(placement.Note is null ? string.Empty : " " + placement.Note)}";
        var result = await writer.CommitEventAsync(
            new EvidenceBatch(route.Collector, route.Criteria, stream, window),
            EventKey(envelope.Id),
            (log, ct) => Single(origin, envelope.Raw, note, log, ct),
            cancellationToken).ConfigureAwait(false);
        LogEvent(logger, stream.Name, envelope.Id, envelope.Type, result.Status);
        return result;
    }

    /// <summary>The first 32 hex digits of the SHA-256 of the event id: the event manifest's name, so redelivery is a no-op.</summary>
    public static string EventKey(string eventId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(eventId)))[..32];

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Single(EventOrigin origin, ReadOnlyMemory<byte> raw, string note, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        log.AddRequest(new SourceRequest(origin.Kind, origin.Name, null, null));
        log.AddPage();
        log.Note = note;
        await Task.CompletedTask.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        yield return raw;
        log.MarkComplete();
    }

    private async Task<EventIngestionResult> RejectAsync(EventOrigin origin, ReadOnlyMemory<byte> bytes, DateTimeOffset receivedAt, string reason, IReadOnlyList<RejectedEvent> events, int accepted, IReadOnlyList<EventOutcome> outcomes, CancellationToken cancellationToken)
    {
        string? text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            text = null;
        }

        var record = new RejectionRecord
        {
            Source = origin.RejectionSource,
            ReceivedAt = receivedAt,
            Reason = reason,
            Events = events,
            AcceptedEvents = accepted,
            Message = new RejectedMessage(text, text is null ? Convert.ToBase64String(bytes.Span) : null, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes.Span)), text is null ? "base64" : "utf-8"),
            CollectorVersion = EvidenceWriter.CollectorVersion,
        };
        var name = await writer.WriteRejectionAsync(record, cancellationToken).ConfigureAwait(false);
        LogRejected(logger, origin.Kind, origin.Name, name, reason);
        return new EventIngestionResult(outcomes, name, reason);
    }

    private sealed record Decoded(ReadOnlyMemory<byte> Json, string Encoding, string? Reason);

    /// <summary>Raw JSON, or Base64 of JSON (Event Grid has written both to queues; the Functions host may or may not decode).</summary>
    private static Decoded Decode(ReadOnlyMemory<byte> bytes)
    {
        var json = Trim(bytes);
        if (json.Length == 0)
        {
            return new Decoded(json, "empty", "The message is empty.");
        }

        if (json.Span[0] is (byte)'{' or (byte)'[')
        {
            return new Decoded(json, "raw JSON", null);
        }

        string text;
        try
        {
            text = Encoding.ASCII.GetString(json.Span);
        }
        catch (ArgumentException)
        {
            return new Decoded(json, "text", "The message is neither JSON nor Base64-encoded JSON.");
        }

        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            return new Decoded(json, "text", "The message is neither JSON (it does not start with '{' or '[') nor Base64-encoded JSON (it is not valid Base64).");
        }

        var inner = Trim(buffer.AsMemory(0, written));
        if (inner.Length == 0 || inner.Span[0] is not ((byte)'{' or (byte)'['))
        {
            return new Decoded(inner, "Base64", "The message is valid Base64, but what it encodes is not JSON.");
        }

        return new Decoded(inner, "Base64-encoded JSON", null);
    }

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        var start = span.StartsWith("\uFEFF"u8) ? 3 : 0;
        var end = span.Length;
        while (start < end && span[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        while (end > start && span[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            end--;
        }

        return bytes[start..end];
    }

    private static string? TypeOf(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var name in new[] { "type", "eventType" })
        {
            if (element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
            {
                return value.GetString();
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} ({EventType}) into stream {Stream}: {Status}")]
    private static partial void LogEvent(ILogger logger, string stream, string eventId, string eventType, CommitStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message from {OriginKind} {Origin} refused, recorded as {Record}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string originKind, string origin, string record, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Route {Collector} failed on event {EventId}; the event is refused")]
    private static partial void LogRouteFailed(ILogger logger, Exception exception, string collector, string eventId);
}
