using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Collectors.Simulator.Scenario;

namespace Collectors.Simulator.Arm;

/// <summary>
/// GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values, as ARM serves it:
/// api-version 2015-04-01, the restricted $filter grammar, $select, newest first, nextLink with a $skiptoken.
/// </summary>
public static partial class ActivityLogEndpoint
{
    public const string ApiVersion = "2015-04-01";

    public static async Task HandleAsync(HttpContext context, string subscriptionId, TenantScenario scenario, TimeProvider time, int pageSize)
    {
        var query = context.Request.Query;
        var apiVersion = query["api-version"].ToString();
        if (string.IsNullOrEmpty(apiVersion))
        {
            await ArmErrors.WriteAsync(context, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
            return;
        }

        if (apiVersion != ApiVersion)
        {
            await ArmErrors.WriteAsync(context, 400, "InvalidApiVersionParameter", $"The api-version '{apiVersion}' is invalid. The supported versions are '{ApiVersion}'.");
            return;
        }

        if (scenario.IndexOf(subscriptionId) < 0)
        {
            await ArmErrors.WriteAsync(context, 404, "SubscriptionNotFound", $"The subscription '{subscriptionId}' could not be found.");
            return;
        }

        if (scenario.IsForbidden(subscriptionId))
        {
            await ArmErrors.WriteAsync(context, 403, "AuthorizationFailed",
                $"The client '{Principals.Pipeline.ObjectId}' with object id '{Principals.Pipeline.ObjectId}' does not have authorization to perform action 'microsoft.insights/eventtypes/values/read' over scope '/subscriptions/{subscriptionId}' or the scope is invalid. If access was recently granted, please refresh your credentials.");
            return;
        }

        var filterText = query["$filter"].ToString();
        if (string.IsNullOrWhiteSpace(filterText))
        {
            await ArmErrors.WriteAsync(context, 400, "BadRequest", "The $filter query parameter is required, and it must specify at least the start time: eventTimestamp ge '<start>'.");
            return;
        }

        var match = Filter().Match(filterText);
        if (!match.Success
            || !TryParseTime(match.Groups["from"].Value, out var from)
            || !TryParseTime(match.Groups["to"].Value, out var to))
        {
            await ArmErrors.WriteAsync(context, 400, "BadRequest",
                $"The $filter '{filterText}' is not supported. Supported forms: eventTimestamp ge '<start>' and eventTimestamp le '<end>' [and resourceGroupName eq '<name>' | resourceProvider eq '<name>' | resourceUri eq '<id>' | correlationId eq '<id>'].");
            return;
        }

        if (from > to)
        {
            await ArmErrors.WriteAsync(context, 400, "BadRequest", "The start time must not be after the end time in $filter.");
            return;
        }

        var field = match.Groups["field"].Success ? match.Groups["field"].Value.ToLowerInvariant() : null;
        var fieldValue = match.Groups["value"].Value;
        var select = query["$select"].ToString();
        var selected = string.IsNullOrWhiteSpace(select) ? null : select.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);

        (long Ticks, string Id)? cursor = null;
        var token = query["$skiptoken"].ToString();
        if (!string.IsNullOrEmpty(token))
        {
            cursor = TimeCursor.Decode(token);
            if (cursor is null)
            {
                await ArmErrors.WriteAsync(context, 400, "InvalidSkipToken", "The $skiptoken is not valid for this query.");
                return;
            }
        }

        var now = time.GetUtcNow();
        var page = new List<ActivityEvent>(pageSize + 1);
        foreach (var e in scenario.Events(subscriptionId, from, to))
        {
            if (e.VisibleAt > now || !Matches(e, field, fieldValue))
            {
                continue;
            }

            if (cursor is { } c && !TimeCursor.IsAfter(c, e.Timestamp.UtcTicks, e.EventDataId))
            {
                continue;
            }

            page.Add(e);
            if (page.Count > pageSize)
            {
                break;
            }
        }

        var more = page.Count > pageSize;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        var buffer = new ArrayBufferWriter<byte>(page.Count * 2200 + 512);
        buffer.Write("{\"value\":["u8);
        for (var i = 0; i < page.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write(","u8);
            }

            if (selected is null)
            {
                buffer.Write(page[i].Json);
            }
            else
            {
                WriteSelected(buffer, page[i].Json, selected);
            }
        }

        buffer.Write("]"u8);
        if (more)
        {
            var last = page[^1];
            var next = $"{context.Request.Scheme}://{context.Request.Host}/subscriptions/{subscriptionId}/providers/microsoft.insights/eventtypes/management/values" +
                $"?api-version={ApiVersion}&$filter={Uri.EscapeDataString(filterText)}" +
                (string.IsNullOrWhiteSpace(select) ? string.Empty : $"&$select={Uri.EscapeDataString(select)}") +
                $"&$skiptoken={TimeCursor.Encode(last.Timestamp.UtcTicks, last.EventDataId)}";
            buffer.Write(",\"nextLink\":"u8);
            buffer.Write(JsonSerializer.SerializeToUtf8Bytes(next));
        }

        buffer.Write("}"u8);
        await ResponseBody.WriteJsonAsync(context, buffer.WrittenMemory);
    }

    private static bool Matches(ActivityEvent e, string? field, string value) => field switch
    {
        null => true,
        "resourcegroupname" => string.Equals(e.ResourceGroup, value, StringComparison.OrdinalIgnoreCase),
        "resourceprovider" => string.Equals(e.ResourceProvider, value, StringComparison.OrdinalIgnoreCase),
        "resourceuri" => string.Equals(e.ResourceId, value, StringComparison.OrdinalIgnoreCase),
        "correlationid" => string.Equals(e.CorrelationId, value, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static void WriteSelected(IBufferWriter<byte> buffer, byte[] json, HashSet<string> selected)
    {
        using var document = JsonDocument.Parse(json);
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (selected.Contains(property.Name))
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static bool TryParseTime(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    [GeneratedRegex(@"^\s*eventTimestamp\s+ge\s+'(?<from>[^']+)'\s+and\s+eventTimestamp\s+le\s+'(?<to>[^']+)'(\s+and\s+(?<field>resourceGroupName|resourceProvider|resourceUri|correlationId)\s+eq\s+'(?<value>[^']*)')?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Filter();
}
