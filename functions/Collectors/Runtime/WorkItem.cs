using System.Text.Json;
using Collectors.Evidence;

namespace Collectors.Runtime;

public enum WorkKind
{
    /// <summary>The timer's windows of one stream, from its cursor: stops at the first failure (the cursor holds it for the next run).</summary>
    Scheduled,

    /// <summary>Every window of a range of one stream; a failed window does not stop the others.</summary>
    Backfill,

    /// <summary>A snapshot of one stream now.</summary>
    Snapshot,

    /// <summary>The late-arrival sweep of one stream, if due (every unswept day up to yesterday).</summary>
    SweepDue,

    /// <summary>The late-arrival sweep of one stream for one day (From).</summary>
    SweepDay,
}

/// <summary>
/// One unit of collection: a collector, one of its streams (by key), and a range. The timer plans these and
/// puts them on the work queue, where the queue-triggered function runs them, so the Functions platform
/// spreads many streams over its instances; the CLI runs the same items in-process. Running one twice commits
/// nothing new (committed windows are skipped, the stream's lease serialises writers).
/// </summary>
public sealed record WorkItem(string Collector, string Key, string Stream, WorkKind Kind, DateTimeOffset From, DateTimeOffset To)
{
    public const string Schema = "collectors.work/v1";

    public string ToMessage() => JsonSerializer.Serialize(new Message(Schema, this), EvidenceJson.Compact);

    /// <summary>Reads a queue message; throws <see cref="FormatException"/> for anything that is not a work item.</summary>
    public static WorkItem FromMessage(string text)
    {
        Message? message;
        try
        {
            message = JsonSerializer.Deserialize<Message>(text, EvidenceJson.Compact);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The message is not a work item ({ex.Message}).", ex);
        }

        if (message is not { Schema: Schema, Item: { Collector.Length: > 0, Key: not null, Stream.Length: > 0 } item })
        {
            throw new FormatException($"The message is not a {Schema} work item.");
        }

        return item;
    }

    public override string ToString() => Kind switch
    {
        WorkKind.Snapshot or WorkKind.SweepDue => $"{Kind} {Stream}",
        WorkKind.SweepDay => $"{Kind} {Stream} {From:yyyy-MM-dd}",
        _ => $"{Kind} {Stream} {TimeWindow.Iso(From)}–{TimeWindow.Iso(To)}",
    };

    private sealed record Message(string Schema, WorkItem Item);
}
