namespace Collectors.Simulator.Scenario;

/// <summary>One generated Activity Log event, with its rendered JSON as the service would return it.</summary>
public sealed record ActivityEvent(
    string SubscriptionId,
    string EventDataId,
    DateTimeOffset Timestamp,
    DateTimeOffset VisibleAt,
    string Category,
    string Operation,
    string Status,
    string ResourceId,
    string ResourceGroup,
    string ResourceProvider,
    string CorrelationId,
    Principal Caller,
    byte[] Json)
{
    /// <summary>Whether the event is published later than <paramref name="lag"/> after it happened (the ground truth of late arrivals).</summary>
    public bool PublishedLaterThan(TimeSpan lag) => VisibleAt - Timestamp > lag;
}

/// <summary>A violation planted at a known time, and the checks that must report it.</summary>
public sealed record PlantedViolation(string Id, string SubscriptionId, string EventDataId, DateTimeOffset At, IReadOnlyList<string> ExpectedChecks, string Description);
