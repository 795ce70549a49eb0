using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
/// <see cref="IEventRoute"/>, validated, held to the age and future limits of <see cref="EventsOptions"/>,
/// and committed raw as its own event manifest. A redelivered event id commits nothing new; the same id
/// with other content is refused as a conflict. Whatever is refused, and whatever else goes wrong with
/// one message, gets a write-once rejection record with the raw message and the reason, and the call
/// returns normally. Only what is not the message's fault throws (<see cref="DeliveryFailure"/>: storage
/// failures, a stream lock not had in time, cancellation), so the delivery is retried.
/// </summary>
public sealed partial class EventIngestionHandler(
    IEnumerable<IEventRoute> routes,
    EvidenceWriter writer,
    EvidenceReader reader,
    IOptions<EventsOptions> options,
    TimeProvider time,
    ILogger<EventIngestionHandler> logger)
{
    /// <summary>Event windows are one second: names sort by the ordering instant to the second.</summary>
    public static readonly TimeSpan EventWindow = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<IEventRoute> _routes = [.. routes];

    public IReadOnlyCollection<string> EventTypes => [.. _routes.SelectMany(r => r.EventTypes).Order(StringComparer.Ordinal)];

    public async Task<EventIngestionResult> HandleAsync(EventOrigin origin, BinaryData message, CancellationToken cancellationToken)
    {
        var receivedAt = time.GetUtcNow();
        var bytes = message.ToMemory();
        var progress = new MessageProgress();
        string? reason;
        try
        {
            reason = await HandleEventsAsync(origin, bytes, receivedAt, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!DeliveryFailure.IsRetryable(ex))
        {
            LogMessageFailed(logger, ex, origin.Kind, UntrustedText.Shown(origin.Name));
            reason = $"The message could not be handled ({ex.GetType().Name}): {ex.Message}";
        }

        if (reason is null && progress.Rejected.Count == 0)
        {
            return new EventIngestionResult(progress.Outcomes, null, null);
        }

        reason ??= progress.Rejected.Count == 1 && progress.Events == 1
            ? $"The event was refused: {progress.Rejected[0].Reason}."
            : string.Create(CultureInfo.InvariantCulture, $"{progress.Rejected.Count} of {progress.Events} events were refused: {string.Join("; ", progress.Rejected.Select(r => r.Reason))}.");
        var accepted = progress.Outcomes.Count(o => o.Status is not null);
        return await RejectAsync(origin, bytes, receivedAt, reason, progress.Rejected, accepted, progress.Outcomes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first 32 hex digits of the SHA-256 of the event id: the event manifest's name, so redelivery is a no-op.</summary>
    public static string EventKey(string eventId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(eventId)))[..32];

    /// <summary>The message's own problem (null when it could be read), after each of its events is stored or refused into <paramref name="progress"/>.</summary>
    private async Task<string?> HandleEventsAsync(EventOrigin origin, ReadOnlyMemory<byte> bytes, DateTimeOffset receivedAt, MessageProgress progress, CancellationToken cancellationToken)
    {
        var decoded = Decode(bytes);
        if (decoded.Reason is not null)
        {
            return decoded.Reason;
        }

        // JSON text is UTF-8 (RFC 8259 §8.1). The parser checks that only where a string is read, so a bad byte
        // inside an id would throw later, and one inside data would be stored and throw in a check a day later.
        if (FirstInvalidUtf8(decoded.Json.Span) is { } offset)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The message ({decoded.Encoding}) is not valid UTF-8: byte {offset} of its JSON text starts no valid UTF-8 sequence, and JSON text must be UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(decoded.Json, EventEnvelope.MessageJson);
        }
        catch (JsonException ex)
        {
            return $"The message ({decoded.Encoding}) is not valid JSON: {ex.Message}";
        }

        using (document)
        {
            var root = document.RootElement;
            var elements = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
            if (elements.Count == 0)
            {
                return "The message is an empty JSON array: no event to store.";
            }

            progress.Events = elements.Count;
            for (var index = 0; index < elements.Count; index++)
            {
                await HandleEventAsync(origin, decoded.Encoding, index, elements[index], receivedAt, progress, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    private async Task HandleEventAsync(EventOrigin origin, string encoding, int index, JsonElement element, DateTimeOffset receivedAt, MessageProgress progress, CancellationToken cancellationToken)
    {
        EventEnvelope? envelope = null;
        try
        {
            (envelope, var reason) = ReadEvent(index, element);
            IEventRoute? route = null;
            var placement = default(EventPlacement);
            if (envelope is not null)
            {
                route = _routes.FirstOrDefault(r => r.EventTypes.Contains(envelope.Type, StringComparer.OrdinalIgnoreCase));
                reason = route is null
                    ? $"no evidence stream takes events of type '{envelope.ShownType}' (taken: {string.Join(", ", EventTypes)})"
                    : Place(route, envelope, out placement) ?? OutsideTimeLimits(envelope, placement.At, receivedAt);
            }

            if (envelope is null || route is null || reason is not null)
            {
                progress.Refuse(index, envelope?.Id ?? StringOf(element, "id"), envelope?.Type ?? TypeOf(element), reason ?? "unreadable event");
                return;
            }

            string manifest;
            if (progress.Seen.TryGetValue(envelope.Id, out var earlier))
            {
                manifest = earlier;
            }
            else
            {
                var result = await CommitAsync(origin, encoding, route, envelope, placement, cancellationToken).ConfigureAwait(false);
                if (result.Status == CommitStatus.Failed || result.Manifest is null)
                {
                    progress.Refuse(index, envelope.Id, envelope.Type, $"event {index} ({envelope.ShownId}) could not be committed: {result.Reason ?? "the writer named no manifest"}");
                    return;
                }

                progress.Seen[envelope.Id] = result.Manifest;
                if (result.Status == CommitStatus.Committed)
                {
                    progress.Outcomes.Add(new EventOutcome(index, envelope.Id, envelope.Type, CommitStatus.Committed, result.Manifest, null));
                    return;
                }

                manifest = result.Manifest;
            }

            // The id is committed already (an earlier delivery, or earlier in this message): the same event, or an id reused.
            var conflict = await FindConflictAsync(manifest, envelope, cancellationToken).ConfigureAwait(false);
            if (conflict is null)
            {
                progress.Outcomes.Add(new EventOutcome(index, envelope.Id, envelope.Type, CommitStatus.AlreadyCommitted, manifest, null));
                return;
            }

            LogConflict(logger, envelope.ShownId, envelope.ShownType, manifest, conflict.StoredSha256, conflict.ReceivedSha256);
            progress.Refuse(
                index,
                envelope.Id,
                envelope.Type,
                $"event {index} reuses the id {envelope.ShownId}, already committed with different content as {manifest} (stored NDJSON SHA-256 {conflict.StoredSha256}, received {conflict.ReceivedSha256}); the stored evidence is unchanged, and a changed event needs a new id",
                conflict,
                manifest);
        }
        catch (Exception ex) when (!DeliveryFailure.IsRetryable(ex))
        {
            LogEventFailed(logger, ex, index, envelope?.ShownId ?? "(unread)");
            progress.Refuse(index, envelope?.Id ?? StringOf(element, "id"), envelope?.Type ?? TypeOf(element), $"event {index} could not be handled ({ex.GetType().Name}): {ex.Message}");
        }
    }

    private static (EventEnvelope? Envelope, string? Reason) ReadEvent(int index, JsonElement element)
    {
        try
        {
            return EventEnvelope.Read(index, element, JsonMarshal.GetRawUtf8Value(element).ToArray());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // E.g. a string that escapes a lone surrogate ("\ud800"): valid JSON syntax, but no text.
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
            LogRouteFailed(logger, ex, route.Collector, envelope.ShownId);
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

    /// <summary>Every route's events are ordered near now: not back-dated beyond the age limit, not ahead beyond the future limit.</summary>
    private string? OutsideTimeLimits(EventEnvelope envelope, DateTimeOffset at, DateTimeOffset now)
    {
        var limits = options.Value;

        // The difference of two valid instants always fits a TimeSpan; adding hours to either might not (year 9999).
        var ahead = at - now;
        if (ahead > TimeSpan.FromHours(limits.MaxFutureHours))
        {
            return string.Create(CultureInfo.InvariantCulture, $"event {envelope.Index} ({envelope.ShownId}) is ordered by {TimeWindow.Iso(at)}, more than {limits.MaxFutureHours} hours in the future (Collectors__Events__MaxFutureHours): the publisher's clock or the time is wrong");
        }

        if (-ahead > TimeSpan.FromHours(limits.MaxEventAgeHours))
        {
            return string.Create(CultureInfo.InvariantCulture, $"event {envelope.Index} ({envelope.ShownId}) is ordered by {TimeWindow.Iso(at)}, more than {limits.MaxEventAgeHours} hours old (Collectors__Events__MaxEventAgeHours); if it is genuine (delivery stopped for longer than that), re-ingest this record's message with a higher limit: docs/events.md, 'Re-ingesting refused old events'");
        }

        return null;
    }

    private async Task<CommitResult> CommitAsync(EventOrigin origin, string encoding, IEventRoute route, EventEnvelope envelope, EventPlacement placement, CancellationToken cancellationToken)
    {
        var stream = new EvidenceStream(route.Collector, placement.Scope!);
        var at = placement.At.ToUniversalTime();
        var start = new DateTimeOffset(at.Ticks - (at.Ticks % EventWindow.Ticks), TimeSpan.Zero);
        var window = new TimeWindow(start, start + EventWindow);
        var note = $"Event {UntrustedText.Shown(envelope.Id, 1024)} of type {UntrustedText.Shown(envelope.Type, 1024)} ({envelope.Schema} schema, message {encoding}), ordered by {TimeWindow.Iso(at)}.{(placement.Note is null ? string.Empty : " " + placement.Note)}";
        var result = await writer.CommitEventAsync(
            new EvidenceBatch(route.Collector, route.Criteria, stream, window),
            EventKey(envelope.Id),
            (log, ct) => Single(origin, envelope.Raw, note, log, ct),
            cancellationToken).ConfigureAwait(false);
        LogEvent(logger, stream.Name, envelope.ShownId, envelope.ShownType, result.Status);
        return result;
    }

    /// <summary>
    /// Null when what is committed under <paramref name="manifestName"/> is this event, else the conflict. Cheap in the
    /// usual case (a redelivery is byte-identical): one manifest read, and its NDJSON hash against ours. Only when the
    /// bytes differ is the stored event read and compared as an event (<see cref="EventEnvelope.SameContentAs"/>).
    /// </summary>
    private async Task<EventConflict?> FindConflictAsync(string manifestName, EventEnvelope received, CancellationToken cancellationToken)
    {
        var receivedSha256 = StoredLineSha256(received.Raw);
        var data = (await reader.Container.GetBlobClient(manifestName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        var manifest = data.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)
            ?? throw new InvalidDataException($"Manifest {manifestName} is empty.");
        var content = manifest.Content;
        if (content.Records == 1 && string.Equals(content.UncompressedSha256, receivedSha256, StringComparison.Ordinal))
        {
            return null;
        }

        await foreach (var record in reader.RecordsAsync(new CommittedManifest(manifestName, manifest), cancellationToken).ConfigureAwait(false))
        {
            // The record's memory is the reader's buffer: copy it before the next one is read.
            var raw = record.Json.ToArray();
            using var stored = JsonDocument.Parse(raw, EventEnvelope.MessageJson);
            var (envelope, _) = EventEnvelope.Read(0, stored.RootElement, raw);
            if (envelope is not null && string.Equals(envelope.Id, received.Id, StringComparison.Ordinal))
            {
                return envelope.SameContentAs(received) ? null : new EventConflict(manifestName, content.UncompressedSha256, content.Sha256, receivedSha256);
            }
        }

        // No record of this id under its name: a collision of the 128-bit key, or a manifest this handler did not write.
        return new EventConflict(manifestName, content.UncompressedSha256, content.Sha256, receivedSha256);
    }

    /// <summary>SHA-256 of the event as the writer stores it: its line (<see cref="RecordLine"/>) and a newline.</summary>
    private static string StoredLineSha256(ReadOnlyMemory<byte> raw)
    {
        byte[]? scratch = null;
        var line = RecordLine.Normalize(raw, ref scratch, 0);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(line.Span);
        hash.AppendData("\n"u8);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

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
        var record = new RejectionRecord
        {
            Source = origin.RejectionSource,
            ReceivedAt = receivedAt,
            Reason = reason,
            Events = events,
            AcceptedEvents = accepted,
            Message = RejectedMessage.Of(bytes.Span),
            CollectorVersion = EvidenceWriter.CollectorVersion,
        };
        var name = await writer.WriteRejectionAsync(record, cancellationToken).ConfigureAwait(false);
        LogRejected(logger, origin.Kind, UntrustedText.Shown(origin.Name), name, UntrustedText.Shown(reason, 2000));
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

    private static string? TypeOf(JsonElement element) => StringOf(element, "type") ?? StringOf(element, "eventType");

    /// <summary>What can be read of a refused event's string property, for its rejection record: null when absent or not readable text.</summary>
    private static string? StringOf(JsonElement element, string name)
    {
        try
        {
            return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The offset of the first byte that starts no valid UTF-8 sequence; null when it is all UTF-8.</summary>
    private static int? FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return null;
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return null;
    }

    /// <summary>What became of a message's events so far: kept outside the work, so a failure half-way still reports them.</summary>
    private sealed class MessageProgress
    {
        public List<EventOutcome> Outcomes { get; } = [];

        public List<RejectedEvent> Rejected { get; } = [];

        public int Events { get; set; }

        /// <summary>Ids of this message's events committed (or found committed) so far, and their manifests.</summary>
        public Dictionary<string, string> Seen { get; } = new(StringComparer.Ordinal);

        public void Refuse(int index, string? id, string? type, string reason, EventConflict? conflict = null, string? manifest = null)
        {
            Rejected.Add(new RejectedEvent(index, id is null ? null : UntrustedText.Shown(id, 1024), type is null ? null : UntrustedText.Shown(type, 1024), reason) { Conflict = conflict });
            Outcomes.Add(new EventOutcome(index, id, type, null, manifest, reason));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} ({EventType}) into stream {Stream}: {Status}")]
    private static partial void LogEvent(ILogger logger, string stream, string eventId, string eventType, CommitStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message from {OriginKind} {Origin} refused, recorded as {Record}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string originKind, string origin, string record, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Route {Collector} failed on event {EventId}; the event is refused")]
    private static partial void LogRouteFailed(ILogger logger, Exception exception, string collector, string eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Index} ({EventId}) could not be handled; it is refused and its message kept in a rejection record")]
    private static partial void LogEventFailed(ILogger logger, Exception exception, int index, string eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message from {OriginKind} {Origin} could not be handled; it is refused and kept in a rejection record")]
    private static partial void LogMessageFailed(ILogger logger, Exception exception, string originKind, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event id {EventId} ({EventType}) was reused with different content: {Manifest} stays (stored NDJSON SHA-256 {StoredSha256}, received {ReceivedSha256}); the event is refused")]
    private static partial void LogConflict(ILogger logger, string eventId, string eventType, string manifest, string storedSha256, string receivedSha256);
}
