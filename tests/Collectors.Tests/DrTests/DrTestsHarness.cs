using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Collectors.DrTests;
using Collectors.Events;
using Collectors.Evidence;
using Collectors.PolicyStates;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Collectors.Tests.DrTests;

/// <summary>The event handler as the host composes it (policy-states and dr-tests routes) and DR drill events in both schemas.</summary>
internal static class DrTestsHarness
{
    public static EventIngestionHandler Handler(TestStore store, TimeProvider? time = null, EventsOptions? events = null)
    {
        time ??= TimeProvider.System;
        return new(
            [new PolicyStatesEventRoute(), new DrTestsEventRoute(time, Options.Create(new DrTestsOptions()))],
            store.Writer,
            new EvidenceReader(store.Evidence),
            Options.Create(events ?? new EventsOptions()),
            time,
            NullLogger<EventIngestionHandler>.Instance);
    }

    public static EventOrigin Queue { get; } = EventOrigin.Queue("dr-tests");

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The data of a drill that ended at <paramref name="ended"/>.</summary>
    public static JsonObject Data(string drillId, string workload, DateTimeOffset ended, string result = "passed", double rto = 30, double rpo = 5, double targetRto = 60, double targetRpo = 15, string scenario = "region-failover") => new()
    {
        ["drillId"] = drillId,
        ["workload"] = workload,
        ["scenario"] = scenario,
        ["startedAt"] = Iso(ended.AddMinutes(-rto)),
        ["endedAt"] = Iso(ended),
        ["targetRtoMinutes"] = targetRto,
        ["achievedRtoMinutes"] = rto,
        ["targetRpoMinutes"] = targetRpo,
        ["achievedRpoMinutes"] = rpo,
        ["result"] = result,
        ["runBy"] = "alice@contoso.com",
        ["links"] = new JsonArray("https://dev.azure.com/contoso/ops/_build/results?buildId=4711"),
    };

    public static JsonObject EventGrid(string id, JsonNode data, string type = DrTestsEventRoute.CompletedType, DateTimeOffset? time = null) => new()
    {
        ["id"] = id,
        ["topic"] = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-collectors/providers/Microsoft.EventGrid/topics/evgt-collectors-dr",
        ["subject"] = $"drills/{id}",
        ["eventType"] = type,
        ["eventTime"] = Iso(time ?? DateTimeOffset.UtcNow.AddMinutes(-1)),
        ["data"] = data,
        ["dataVersion"] = "1.0",
        ["metadataVersion"] = "1",
    };

    public static JsonObject CloudEvent(string id, JsonNode data, string type = DrTestsEventRoute.CompletedType, DateTimeOffset? time = null) => new()
    {
        ["specversion"] = "1.0",
        ["id"] = id,
        ["source"] = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-collectors/providers/Microsoft.EventGrid/topics/evgt-collectors-dr",
        ["subject"] = $"drills/{id}",
        ["type"] = type,
        ["time"] = Iso(time ?? DateTimeOffset.UtcNow.AddMinutes(-1)),
        ["datacontenttype"] = "application/json",
        ["data"] = data,
    };

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public static byte[] Example(string name) => File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "docs", "examples", name));
}
