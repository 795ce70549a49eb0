using System.Text.RegularExpressions;
using Collectors.Events;

namespace Collectors.PolicyStates;

/// <summary>
/// Azure Policy state-change events (Event Grid system topic Microsoft.PolicyInsights.PolicyStates) into
/// <c>policy-states/sub-&lt;subscriptionId&gt;</c>, ordered by <c>data.timestamp</c>: Azure Policy's own
/// evaluation time, which the documentation recommends over the event's delivery time.
/// </summary>
internal sealed partial class PolicyStatesEventRoute : IEventRoute
{
    public const string Id = "policy-states";
    public const string StateCreated = "Microsoft.PolicyInsights.PolicyStateCreated";
    public const string StateChanged = "Microsoft.PolicyInsights.PolicyStateChanged";
    public const string StateDeleted = "Microsoft.PolicyInsights.PolicyStateDeleted";

    /// <summary>The scope of events that name no subscription id (the published examples carry placeholders).</summary>
    public const string UnknownScope = "sub-unknown";

    public string Collector => Id;

    /// <summary>From collector.json, like everything else about the collector.</summary>
    public IReadOnlyList<string> Criteria { get; } = Catalog.CollectorDescriptor.For(typeof(PolicyStatesEventRoute)).Criteria;

    public IReadOnlyCollection<string> EventTypes { get; } = [StateCreated, StateChanged, StateDeleted];

    public EventPlacement Place(EventEnvelope envelope)
    {
        if (envelope.Data is not { ValueKind: System.Text.Json.JsonValueKind.Object } data)
        {
            return EventPlacement.Reject($"{envelope.ShownType} event {envelope.ShownId} has no data object");
        }

        if (!data.TryGetProperty("timestamp", out var stamp) || EventEnvelope.ParseTime(stamp) is not { } at)
        {
            return EventPlacement.Reject($"{envelope.ShownType} event {envelope.ShownId} has no readable data.timestamp, which orders policy-state evidence");
        }

        if (envelope.DataString("policyAssignmentId") is not { Length: > 0 })
        {
            return EventPlacement.Reject($"{envelope.ShownType} event {envelope.ShownId} has no data.policyAssignmentId");
        }

        if (!envelope.Type.Equals(StateDeleted, StringComparison.OrdinalIgnoreCase) && envelope.DataString("complianceState") is not { Length: > 0 })
        {
            return EventPlacement.Reject($"{envelope.ShownType} event {envelope.ShownId} has no data.complianceState");
        }

        var subscription = SubscriptionOf(envelope);
        return subscription is null
            ? EventPlacement.Accept(UnknownScope, at, $"The event names no subscription id (data.subscriptionId '{UntrustedText.Shown(envelope.DataString("subscriptionId"), 100)}', topic/source '{UntrustedText.Shown(envelope.Source, 200)}'); stored under {UnknownScope}.")
            : EventPlacement.Accept($"sub-{subscription}", at);
    }

    /// <summary>data.subscriptionId, else the /subscriptions/{id} of the topic (source) or subject; null when none is a GUID.</summary>
    public static string? SubscriptionOf(EventEnvelope envelope)
    {
        if (envelope.DataString("subscriptionId") is { } id && Guid.TryParse(id, out var guid))
        {
            return guid.ToString();
        }

        foreach (var candidate in new[] { envelope.Source, envelope.Subject })
        {
            if (candidate is not null && SubscriptionSegment().Match(candidate) is { Success: true } match && Guid.TryParse(match.Groups[1].Value, out guid))
            {
                return guid.ToString();
            }
        }

        return null;
    }

    [GeneratedRegex("/subscriptions/([^/]+)", RegexOptions.IgnoreCase)]
    private static partial Regex SubscriptionSegment();
}
