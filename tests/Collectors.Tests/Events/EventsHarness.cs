using System.Text;
using System.Text.Json.Nodes;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.PolicyStates;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Collectors.Tests.Events;

/// <summary>The event handler as the host composes it (the policy-states route, plus any test route), over a fresh store.</summary>
internal static class EventsHarness
{
    public static EventIngestionHandler Handler(TestStore store, params IEventRoute[] extra) => Handler(store, TimeProvider.System, null, null, extra);

    public static EventIngestionHandler Handler(TestStore store, ILogger<EventIngestionHandler> logger) => Handler(store, TimeProvider.System, null, logger);

    /// <summary>The handler with its own clock (its "now" for the age and future limits) and options.</summary>
    public static EventIngestionHandler Handler(TestStore store, TimeProvider time, EventsOptions? options = null, ILogger<EventIngestionHandler>? logger = null, params IEventRoute[] extra) =>
        new([new PolicyStatesEventRoute(), .. extra], store.Writer, new EvidenceReader(store.Evidence), Options.Create(options ?? new EventsOptions()), time, logger ?? NullLogger<EventIngestionHandler>.Instance);

    public static EventOrigin Queue { get; } = EventOrigin.Queue("policy-states");

    /// <summary>The published Event Grid example of PolicyStateChanged: a one-element array, as published.</summary>
    public static byte[] PublishedPolicyEvent => MicrosoftFixtures.Bytes("eventgrid_egevent_policyinsights_policystatechanged.json");

    /// <summary>The published example's single event, wrapped as CloudEvents 1.0 (what an event subscription with CloudEventSchemaV1_0 delivers).</summary>
    public static byte[] PublishedAsCloudEvent(string? id = null)
    {
        var e = JsonNode.Parse(PublishedPolicyEvent)!.AsArray()[0]!;
        var cloud = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = id ?? e["id"]!.GetValue<string>(),
            ["source"] = e["topic"]!.GetValue<string>(),
            ["subject"] = e["subject"]!.GetValue<string>(),
            ["type"] = e["eventType"]!.GetValue<string>(),
            ["time"] = e["eventTime"]!.GetValue<string>(),
            ["data"] = e["data"]!.DeepClone(),
        };
        return Encoding.UTF8.GetBytes(cloud.ToJsonString());
    }

    /// <summary>A policy event of a real subscription, in the Event Grid schema.</summary>
    public static JsonObject PolicyEvent(string id, string subscriptionId, DateTimeOffset timestamp, string state = "NonCompliant", string type = PolicyStatesEventRoute.StateChanged, string resource = "vm1") => new()
    {
        ["id"] = id,
        ["topic"] = $"/subscriptions/{subscriptionId}",
        ["subject"] = $"/subscriptions/{subscriptionId}/resourceGroups/rg-web-prod/providers/Microsoft.Compute/virtualMachines/{resource}",
        ["data"] = new JsonObject
        {
            ["timestamp"] = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["policyAssignmentId"] = $"/subscriptions/{subscriptionId}/providers/microsoft.authorization/policyassignments/require-disk-encryption",
            ["policyDefinitionId"] = "/providers/microsoft.authorization/policydefinitions/0961003e-5a0a-4549-abde-af6a37f2724d",
            ["policyDefinitionReferenceId"] = string.Empty,
            ["complianceState"] = state,
            ["subscriptionId"] = subscriptionId,
            ["complianceReasonCode"] = string.Empty,
        },
        ["eventType"] = type,
        ["eventTime"] = timestamp.AddSeconds(1).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["dataVersion"] = "1",
        ["metadataVersion"] = "1",
    };

    public static BinaryData Message(JsonNode node) => BinaryData.FromString(node.ToJsonString());

    public static BinaryData Base64(byte[] bytes) => BinaryData.FromString(Convert.ToBase64String(bytes));
}
