using System.Globalization;
using System.Text.Json;

namespace Collectors.Events;

public enum EventSchema
{
    /// <summary>The Event Grid schema: id, topic, subject, eventType, eventTime, data, dataVersion, metadataVersion.</summary>
    EventGrid,

    /// <summary>CloudEvents 1.0 (JSON format): specversion, id, source, type, subject, time, data or data_base64.</summary>
    CloudEvents,
}

/// <summary>
/// One event of a message, in either schema, read but not reshaped: <see cref="Raw"/> is the event's
/// bytes exactly as they arrived (what the evidence stores), the rest is what routing and checks need.
/// </summary>
public sealed record EventEnvelope(
    int Index,
    EventSchema Schema,
    string Id,
    string Type,
    string? Source,
    string? Subject,
    DateTimeOffset? Time,
    JsonElement? Data,
    ReadOnlyMemory<byte> Raw)
{
    /// <summary>Reads one event object; returns the reason when it is neither a CloudEvents 1.0 nor an Event Grid event.</summary>
    public static (EventEnvelope? Event, string? Reason) Read(int index, JsonElement element, ReadOnlyMemory<byte> raw)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return (null, $"event {index} is a JSON {element.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }

        if (element.TryGetProperty("specversion", out var version))
        {
            if (version.ValueKind != JsonValueKind.String || version.GetString() != "1.0")
            {
                return (null, $"event {index} has specversion {UntrustedText.Shown(version.GetRawText(), 40)}; only CloudEvents 1.0 is accepted");
            }

            var missing = new[] { "id", "source", "type" }.Where(p => String(element, p) is not { Length: > 0 }).ToList();
            if (missing.Count > 0)
            {
                return (null, $"CloudEvents event {index} lacks the required attribute(s) {string.Join(", ", missing)}");
            }

            var time = element.TryGetProperty("time", out var t) ? ParseTime(t) : (DateTimeOffset?)null;
            if (element.TryGetProperty("time", out var present) && time is null)
            {
                return (null, $"CloudEvents event {index} has a time that is not an RFC 3339 timestamp: {UntrustedText.Shown(present.GetRawText(), 60)}");
            }

            JsonElement? data = element.TryGetProperty("data", out var d) ? d.Clone() : DecodeDataBase64(element);
            return (new EventEnvelope(index, EventSchema.CloudEvents, String(element, "id")!, String(element, "type")!, String(element, "source"), String(element, "subject"), time, data, raw), null);
        }

        if (element.TryGetProperty("eventType", out _))
        {
            var missing = new[] { "id", "eventType", "subject", "eventTime" }.Where(p => String(element, p) is not { Length: > 0 }).ToList();
            if (String(element, "dataVersion") is null)
            {
                // Required by the schema, but publishers may leave it empty.
                missing.Add("dataVersion");
            }

            if (!element.TryGetProperty("data", out var data))
            {
                missing.Add("data");
            }

            if (missing.Count > 0)
            {
                return (null, $"Event Grid event {index} lacks the required field(s) {string.Join(", ", missing)}");
            }

            var time = ParseTime(element.GetProperty("eventTime"));
            if (time is null)
            {
                return (null, $"Event Grid event {index} has an eventTime that is not a timestamp: {UntrustedText.Shown(element.GetProperty("eventTime").GetRawText(), 60)}");
            }

            return (new EventEnvelope(index, EventSchema.EventGrid, String(element, "id")!, String(element, "eventType")!, String(element, "topic"), String(element, "subject"), time, data.Clone(), raw), null);
        }

        return (null, $"event {index} is neither a CloudEvents 1.0 event (no specversion) nor an Event Grid event (no eventType)");
    }

    /// <summary>How deep a message's JSON may nest (the parser's default, 64, is less than some publishers need).</summary>
    public static readonly JsonDocumentOptions MessageJson = new() { MaxDepth = 128 };

    /// <summary>The id as a reason or a log line may show it (escaped, shortened).</summary>
    public string ShownId => UntrustedText.Shown(Id, 100);

    /// <summary>The type as a reason or a log line may show it (escaped, shortened).</summary>
    public string ShownType => UntrustedText.Shown(Type, 100);

    /// <summary>
    /// Whether <paramref name="other"/> (the same id delivered again) is this event. In the same schema: the
    /// same JSON value (whitespace, property order and number spelling aside). Across schemas (Event Grid
    /// and CloudEvents carry the same event differently): the same id, type, source (topic), subject,
    /// time (as an instant) and data; the attributes only one schema has (dataVersion, specversion, …) are not compared.
    /// </summary>
    public bool SameContentAs(EventEnvelope other)
    {
        if (Schema == other.Schema)
        {
            using var mine = JsonDocument.Parse(Raw, MessageJson);
            using var theirs = JsonDocument.Parse(other.Raw, MessageJson);
            return JsonElement.DeepEquals(mine.RootElement, theirs.RootElement);
        }

        return string.Equals(Id, other.Id, StringComparison.Ordinal)
            && string.Equals(Type, other.Type, StringComparison.Ordinal)
            && string.Equals(Source, other.Source, StringComparison.Ordinal)
            && string.Equals(Subject, other.Subject, StringComparison.Ordinal)
            && Time == other.Time
            && (Data, other.Data) switch
            {
                (null, null) => true,
                ({ } a, { } b) => JsonElement.DeepEquals(a, b),
                _ => false,
            };
    }

    /// <summary>A string property of <see cref="Data"/>, or null.</summary>
    public string? DataString(string name) =>
        Data is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static DateTimeOffset? ParseTime(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>CloudEvents may carry binary data as data_base64; JSON inside it is read like data.</summary>
    private static JsonElement? DecodeDataBase64(JsonElement element)
    {
        if (String(element, "data_base64") is not { } text)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(Convert.FromBase64String(text));
            return document.RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
