using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Collectors.Simulator.Arm;
using Collectors.Simulator.Scenario;

namespace Collectors.Simulator.ResourceGraph;

/// <summary>
/// POST /providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01 as Resource Graph serves it.
/// The KQL is opaque text: the quoted Defender resource types in it select the populations of
/// <see cref="DefenderScenario"/>, ordered by id. Pages of $top (at most 1000, default 100) with a
/// $skipToken, totalRecords and count, resultTruncated as a string, facets; no $skipToken when the
/// query does not project id (the rows are then truncated, as Resource Graph does); quota headers on
/// every answer and 429 past the quota.
/// </summary>
public static partial class ResourceGraphEndpoint
{
    public static readonly IReadOnlyList<string> ApiVersions = ["2024-04-01", "2022-10-01", "2021-03-01"];

    public static async Task HandleAsync(HttpContext context, DefenderScenario scenario, TenantScenario tenant, ResourceGraphQuota quota, string principal)
    {
        var apiVersion = context.Request.Query["api-version"].ToString();
        if (string.IsNullOrEmpty(apiVersion))
        {
            await ArmErrors.WriteAsync(context, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
            return;
        }

        if (!ApiVersions.Contains(apiVersion))
        {
            await ArmErrors.WriteAsync(context, 400, "InvalidApiVersionParameter", $"The api-version '{apiVersion}' is invalid. The supported versions are '{string.Join("','", ApiVersions)}'.");
            return;
        }

        var (granted, remaining, resetsAfter) = quota.Take(principal);
        context.Response.Headers["x-ms-user-quota-remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["x-ms-user-quota-resets-after"] = ResourceGraphQuota.Format(resetsAfter);
        if (!granted)
        {
            await ArmErrors.WriteAsync(context, 429, "RateLimiting", "Please provide below info when asking for support: timestamp = …, correlationId = …. Details: Your request was throttled because the user quota was exhausted. Wait for the quota to reset and retry.");
            return;
        }

        Request request;
        try
        {
            request = await Request.ReadAsync(context);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            await ArmErrors.WriteAsync(context, 400, "InvalidRequestContent", $"The request content was invalid and could not be deserialized: {ex.Message}");
            return;
        }

        if (string.IsNullOrWhiteSpace(request.Query))
        {
            await ArmErrors.WriteAsync(context, 400, "BadRequest", "The query is required.");
            return;
        }

        if (request.Top is < 1 or > 1000)
        {
            await ArmErrors.WriteAsync(context, 400, "BadRequest", "Please provide a valid value for $top: it must be between 1 and 1000.");
            return;
        }

        if (request.ResultFormat is { } format && !format.Equals("objectArray", StringComparison.OrdinalIgnoreCase))
        {
            await ArmErrors.WriteAsync(context, 400, "BadRequest", $"The simulator serves resultFormat objectArray only (asked: {format}).");
            return;
        }

        if (request.Subscriptions is { } subscriptions)
        {
            foreach (var subscription in subscriptions)
            {
                if (tenant.IsForbidden(subscription) || tenant.IndexOf(subscription) < 0)
                {
                    await ArmErrors.WriteAsync(context, 403, "AuthorizationFailed",
                        $"The client '{Principals.Pipeline.ObjectId}' does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' over scope '/subscriptions/{subscription}' or the scope is invalid.");
                    return;
                }
            }
        }

        var types = TypeLiteral().Matches(request.Query).Select(m => m.Groups[1].Value.ToLowerInvariant()).Where(DefenderScenario.Types.Contains).ToHashSet(StringComparer.Ordinal);
        var generation = scenario.Generation;
        var offset = 0;
        if (request.SkipToken is { } token)
        {
            if (DecodeToken(token) is not { } cursor || cursor.Query != Fingerprint(request))
            {
                await ArmErrors.WriteAsync(context, 400, "InvalidSkipToken", "The $skipToken is not valid for this query and scope.");
                return;
            }

            (generation, offset) = (cursor.Generation, cursor.Offset);
        }

        // A $skipToken pins the generation it started with, as Resource Graph pages one result.
        var rows = scenario.Rows(generation, request.Subscriptions, types);
        var pageRows = rows.Skip(offset).Take(request.Top).ToList();
        var more = offset + pageRows.Count < rows.Count;
        var projectsId = ProjectsId(request.Query);
        var truncated = (more && !projectsId) || (scenario.TruncateResults && offset == 0 && more);

        var buffer = new ArrayBufferWriter<byte>((pageRows.Count * 1200) + 512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (more && !truncated)
            {
                w.WriteString("$skipToken", EncodeToken(generation, Fingerprint(request), offset + pageRows.Count));
            }

            w.WriteNumber("totalRecords", rows.Count + scenario.TotalRecordsSkew);
            w.WriteNumber("count", pageRows.Count);
            w.WriteStartArray("data");
            foreach (var row in pageRows)
            {
                w.WriteRawValue(row.Json, skipInputValidation: true);
            }

            w.WriteEndArray();
            w.WriteStartArray("facets");
            w.WriteEndArray();
            w.WriteString("resultTruncated", truncated ? "true" : "false");
            w.WriteEndObject();
        }

        await ResponseBody.WriteJsonAsync(context, buffer.WrittenMemory);
    }

    /// <summary>Whether the last project clause keeps the id column (Resource Graph pages only then).</summary>
    internal static bool ProjectsId(string query)
    {
        var projects = Project().Matches(query);
        if (projects.Count == 0)
        {
            return true;
        }

        return projects[^1].Groups[1].Value.Split(',').Select(c => c.Trim().Split('=')[0].Trim()).Any(c => c.Equals("id", StringComparison.OrdinalIgnoreCase));
    }

    private sealed record Request(string Query, IReadOnlyList<string>? Subscriptions, int Top, string? SkipToken, string? ResultFormat)
    {
        public static async Task<Request> ReadAsync(HttpContext context)
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            var root = document.RootElement;
            var query = root.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString()! : string.Empty;
            List<string>? subscriptions = null;
            if (root.TryGetProperty("subscriptions", out var s) && s.ValueKind == JsonValueKind.Array)
            {
                subscriptions = [.. s.EnumerateArray().Select(e => e.GetString() ?? string.Empty)];
            }

            var top = 100;
            string? skipToken = null;
            string? format = null;
            if (root.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Object)
            {
                if (options.TryGetProperty("$top", out var t))
                {
                    top = t.GetInt32();
                }

                if (options.TryGetProperty("$skipToken", out var k) && k.ValueKind == JsonValueKind.String)
                {
                    skipToken = k.GetString();
                }

                if (options.TryGetProperty("resultFormat", out var f) && f.ValueKind == JsonValueKind.String)
                {
                    format = f.GetString();
                }
            }

            return new Request(query, subscriptions, top, skipToken, format);
        }
    }

    private static string Fingerprint(Request request) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(request.Query + "|" + string.Join(",", request.Subscriptions ?? []))))[..16];

    private static string EncodeToken(int generation, string query, int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"g\":{generation},\"q\":\"{query}\",\"o\":{offset}}}")));

    private static (int Generation, string Query, int Offset)? DecodeToken(string token)
    {
        try
        {
            using var document = JsonDocument.Parse(Convert.FromBase64String(token));
            var root = document.RootElement;
            return (root.GetProperty("g").GetInt32(), root.GetProperty("q").GetString()!, root.GetProperty("o").GetInt32());
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"'(microsoft\.security/[^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex TypeLiteral();

    [GeneratedRegex(@"\|\s*project\s+([^|]*)", RegexOptions.IgnoreCase)]
    private static partial Regex Project();
}
