namespace Collectors.Events;

/// <summary>
/// Where events of some types go: the collector (stream prefix) and criteria, the event types it takes,
/// and its own validation. Register one per stream (<c>services.AddSingleton&lt;IEventRoute, …&gt;()</c>);
/// <see cref="EventIngestionHandler"/> routes every event by its type.
/// </summary>
public interface IEventRoute
{
    string Collector { get; }

    IReadOnlyList<string> Criteria { get; }

    /// <summary>Event types taken (compared without case).</summary>
    IReadOnlyCollection<string> EventTypes { get; }

    /// <summary>Validates the event and places it: its stream's scope and the instant that orders it, or why it is refused.</summary>
    EventPlacement Place(EventEnvelope envelope);
}

/// <summary>Either a scope and ordering instant (plus an optional note for the manifest), or a rejection reason.</summary>
public readonly record struct EventPlacement(string? Scope, DateTimeOffset At, string? Note, string? Rejection)
{
    public static EventPlacement Accept(string scope, DateTimeOffset at, string? note = null) => new(scope, at, note, null);

    public static EventPlacement Reject(string reason) => new(null, default, null, reason);
}
