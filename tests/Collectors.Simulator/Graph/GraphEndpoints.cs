using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Collectors.Simulator.Faults;

namespace Collectors.Simulator.Graph;

/// <summary>How the simulated tenant refuses Graph reporting calls, if at all.</summary>
public enum GraphRefusal
{
    None,

    /// <summary>403 Authorization_RequestDenied: the app lacks AuditLog.Read.All.</summary>
    MissingPermission,

    /// <summary>403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: no Entra ID P1 licence.</summary>
    MissingLicence,
}

/// <summary>
/// Microsoft Graph's auditLogs/signIns and auditLogs/directoryAudits (v1.0 and beta): $filter on the
/// time field, signInEventTypes on beta, $top up to 1,000, @odata.nextLink with a $skiptoken, and the
/// reporting APIs' limit of 5 requests per 10 seconds per app and tenant, answered with Graph's 429.
/// </summary>
public static partial class GraphEndpoints
{
    public const int MaxTop = 1000;

    public static async Task HandleAsync(HttpContext context, string version, string kind, GraphScenario scenario, GraphThrottle throttle, TimeProvider time, GraphRefusal refusal)
    {
        var app = context.Items.TryGetValue("collectors.principal", out var p) ? p as string ?? "app" : "app";
        if (throttle.Take(app) is { } wait)
        {
            FaultInjector.SetRetryAfter(context.Response, wait, fractional: true);
            await WriteErrorAsync(context, 429, "TooManyRequests", "Please retry again later.");
            return;
        }

        if (refusal == GraphRefusal.MissingPermission)
        {
            await WriteErrorAsync(context, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
            return;
        }

        if (refusal == GraphRefusal.MissingLicence)
        {
            await WriteErrorAsync(context, 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license");
            return;
        }

        var query = context.Request.Query;
        var top = MaxTop;
        if (query.TryGetValue("$top", out var topText) && (!int.TryParse(topText, CultureInfo.InvariantCulture, out top) || top < 1 || top > MaxTop))
        {
            await WriteErrorAsync(context, 400, "Request_BadRequest", $"Invalid page size '{topText}': $top must be between 1 and {MaxTop}.");
            return;
        }

        var field = kind == GraphScenario.SignIns ? "createdDateTime" : "activityDateTime";
        var filter = query["$filter"].ToString();
        var from = DateTimeOffset.MinValue;
        var to = DateTimeOffset.MaxValue;
        string? eventType = kind == GraphScenario.SignIns ? "interactiveUser" : null;
        if (!string.IsNullOrWhiteSpace(filter))
        {
            var rest = filter;
            foreach (Match m in Comparison().Matches(filter))
            {
                if (!string.Equals(m.Groups["field"].Value, field, StringComparison.Ordinal))
                {
                    await WriteErrorAsync(context, 400, "Request_UnsupportedQuery", $"Unsupported or invalid query filter clause specified for property '{m.Groups["field"].Value}' of resource '{kind}'.");
                    return;
                }

                if (!DateTimeOffset.TryParse(m.Groups["value"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                {
                    await WriteErrorAsync(context, 400, "Request_BadRequest", $"Invalid filter clause: '{m.Groups["value"].Value}' is not a date-time.");
                    return;
                }

                switch (m.Groups["op"].Value)
                {
                    case "ge": from = Max(from, at); break;
                    case "gt": from = Max(from, at.AddTicks(1)); break;
                    case "le": to = Min(to, at.AddTicks(1)); break;
                    case "lt": to = Min(to, at); break;
                }

                rest = rest.Replace(m.Value, " ", StringComparison.Ordinal);
            }

            var type = EventTypeFilter().Match(rest);
            if (type.Success)
            {
                if (version != "beta" || kind != GraphScenario.SignIns)
                {
                    await WriteErrorAsync(context, 400, "Request_UnsupportedQuery", "Invalid filter clause: signInEventTypes is not supported on this version.");
                    return;
                }

                eventType = type.Groups["type"].Value;
                rest = rest.Replace(type.Value, " ", StringComparison.Ordinal);
            }

            if (Leftover().Replace(rest, string.Empty).Length > 0)
            {
                await WriteErrorAsync(context, 400, "Request_UnsupportedQuery", $"Invalid filter clause: '{filter}'.");
                return;
            }
        }

        (long Ticks, string Id)? cursor = null;
        if (query.TryGetValue("$skiptoken", out var token) && !string.IsNullOrEmpty(token))
        {
            cursor = TimeCursor.Decode(token!);
            if (cursor is null)
            {
                await WriteErrorAsync(context, 400, "Request_BadRequest", "Invalid $skiptoken.");
                return;
            }
        }

        var now = time.GetUtcNow();
        var page = new List<GraphRecord>(top + 1);
        foreach (var record in scenario.Records(kind, from == DateTimeOffset.MinValue ? scenario.Options.DataStart : from, to == DateTimeOffset.MaxValue ? scenario.DataEnd : to, eventType))
        {
            if (record.VisibleAt > now)
            {
                continue;
            }

            if (cursor is { } c && !TimeCursor.IsAfter(c, record.At.UtcTicks, record.Id))
            {
                continue;
            }

            page.Add(record);
            if (page.Count > top)
            {
                break;
            }
        }

        var more = page.Count > top;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        var buffer = new ArrayBufferWriter<byte>((page.Count * 1800) + 512);
        buffer.Write(Encoding.UTF8.GetBytes($"{{\"@odata.context\":\"https://graph.microsoft.com/{version}/$metadata#auditLogs/{kind}\",\"value\":["));
        for (var i = 0; i < page.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write(","u8);
            }

            buffer.Write(page[i].Json);
        }

        buffer.Write("]"u8);
        if (more)
        {
            var last = page[^1];
            var next = $"{context.Request.Scheme}://{context.Request.Host}/{version}/auditLogs/{kind}?$top={top}" +
                (string.IsNullOrWhiteSpace(filter) ? string.Empty : $"&$filter={Uri.EscapeDataString(filter)}") +
                $"&$skiptoken={TimeCursor.Encode(last.At.UtcTicks, last.Id)}";
            buffer.Write(",\"@odata.nextLink\":"u8);
            buffer.Write(JsonSerializer.SerializeToUtf8Bytes(next));
        }

        buffer.Write("}"u8);
        await ResponseBody.WriteJsonAsync(context, buffer.WrittenMemory);
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            error = new
            {
                code,
                message,
                innerError = new Dictionary<string, string>
                {
                    ["code"] = status.ToString(CultureInfo.InvariantCulture),
                    ["date"] = now,
                    ["message"] = message,
                    ["request-id"] = Guid.NewGuid().ToString(),
                    ["status"] = status.ToString(CultureInfo.InvariantCulture),
                },
            },
        }));
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    [GeneratedRegex(@"(?<field>[A-Za-z]+DateTime)\s+(?<op>ge|gt|le|lt)\s+(?<value>\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)")]
    private static partial Regex Comparison();

    [GeneratedRegex(@"signInEventTypes/any\(\s*\w+\s*:\s*\w+\s+eq\s+'(?<type>\w+)'\s*\)")]
    private static partial Regex EventTypeFilter();

    [GeneratedRegex(@"[\s()]|\band\b")]
    private static partial Regex Leftover();
}

/// <summary>At most N requests in any sliding window per app: the reporting APIs' 5 per 10 seconds, with a scalable clock.</summary>
public sealed class GraphThrottle(int limit, TimeSpan window)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<long>> _recent = [];

    public int Limit => limit;

    public TimeSpan Window => window;

    public int Throttled { get; private set; }

    public TimeSpan? Take(string app)
    {
        if (limit <= 0)
        {
            return null;
        }

        lock (_gate)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (!_recent.TryGetValue(app, out var queue))
            {
                _recent[app] = queue = new Queue<long>();
            }

            while (queue.Count > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(queue.Peek(), now) >= window)
            {
                queue.Dequeue();
            }

            if (queue.Count >= limit)
            {
                Throttled++;
                return window - System.Diagnostics.Stopwatch.GetElapsedTime(queue.Peek(), now);
            }

            queue.Enqueue(now);
            return null;
        }
    }
}
