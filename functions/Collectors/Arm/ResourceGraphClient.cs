using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;

namespace Collectors.Arm;

/// <summary>One Resource Graph query: its name (for notes), KQL text, scope (null: the tenant) and page size.</summary>
internal sealed record ResourceGraphQuery(string Name, string Text, IReadOnlyList<string>? Subscriptions, int Top = 1000);

/// <summary>
/// Azure Resource Graph through the ARM pipeline: POST /providers/Microsoft.ResourceGraph/resources
/// (api-version 2024-04-01) with an explicit result format and page size, every $skipToken followed,
/// the per-identity quota honoured, and the population proven complete (no truncation, rows received
/// equal to totalRecords) or refused.
/// </summary>
internal sealed partial class ResourceGraphClient(ArmRestClient arm, TimeProvider time, ILogger<ResourceGraphClient> logger)
{
    public const string ApiVersion = "2024-04-01";
    public const string QuotaRemainingHeader = "x-ms-user-quota-remaining";
    public const string QuotaResetsAfterHeader = "x-ms-user-quota-resets-after";
    public const string SubscriptionLimitHeader = "x-ms-tenant-subscription-limit-hit";

    /// <summary>Longest wait for the quota to reset; a longer promise is capped rather than trusted.</summary>
    private static readonly TimeSpan MaxQuotaWait = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private DateTimeOffset _quotaBlockedUntil = DateTimeOffset.MinValue;

    public Uri Url => new(arm.Endpoint, $"providers/Microsoft.ResourceGraph/resources?api-version={ApiVersion}");

    /// <summary>
    /// Every row of the query as returned (the page's bytes, not re-serialised). Records the request (with
    /// the query text) and each page in the log, but never marks it complete: the caller does, once every
    /// query of the population has ended. Throws <see cref="EvidenceSourceException"/> when the population
    /// cannot be proven complete.
    /// </summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> QueryAsync(ResourceGraphQuery query, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (query.Top is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Top, "Resource Graph pages hold 1 to 1000 rows ($top).");
        }

        var url = Url;
        log.AddRequest(new SourceRequest("POST", url.GetLeftPart(UriPartial.Path), ApiVersion, null, System.Text.Encoding.UTF8.GetString(Body(query, null).Span)));
        long? total = null;
        long received = 0;
        var pages = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? skipToken = null;
        while (true)
        {
            var (page, headers) = await FetchPageAsync(url, query, skipToken, pages, cancellationToken).ConfigureAwait(false);
            pages++;
            if (headers.TryGetValue(SubscriptionLimitHeader, out var limit) && limit.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                throw new EvidenceSourceException(
                    $"Resource Graph answered the '{query.Name}' query with {SubscriptionLimitHeader}: true: the identity can see more subscriptions than one query covers, so the population is incomplete and nothing was committed. List the subscriptions in Collectors__DefenderFindings__Subscriptions__N.",
                    200, "SubscriptionLimitHit");
            }

            if (IsTrue(page.Properties.GetValueOrDefault("resultTruncated")))
            {
                throw new EvidenceSourceException(
                    string.Create(CultureInfo.InvariantCulture, $"Resource Graph marked the '{query.Name}' result as truncated (resultTruncated: true) on page {pages} after {received + page.Count} of {Number(page, "totalRecords")?.ToString(CultureInfo.InvariantCulture) ?? "?"} rows: the population is incomplete, so nothing was committed. The query must project id for paging; this is a defect to report with the query text in this record."),
                    200, "ResultTruncated");
            }

            var pageTotal = Number(page, "totalRecords");
            if (pageTotal is null)
            {
                throw new EvidenceSourceException($"Resource Graph answered page {pages} of the '{query.Name}' query without totalRecords, so the population cannot be proven complete; nothing was committed.", 200, "NoTotalRecords");
            }

            if (total is null)
            {
                total = pageTotal;
            }
            else if (pageTotal != total)
            {
                throw new EvidenceSourceException(
                    string.Create(CultureInfo.InvariantCulture, $"Resource Graph's totalRecords for the '{query.Name}' query changed from {total} to {pageTotal} between pages (the data changed while it was paged): the rows would not be one consistent population, so nothing was committed. The next snapshot tries again."),
                    200, "PopulationChanged");
            }

            if (Number(page, "count") is { } count && count != page.Count)
            {
                throw new EvidenceSourceException(
                    string.Create(CultureInfo.InvariantCulture, $"Resource Graph page {pages} of the '{query.Name}' query says count {count} but holds {page.Count} rows; nothing was committed."),
                    200, "CountMismatch");
            }

            log.AddPage();
            foreach (var item in page.Items)
            {
                yield return item;
            }

            received += page.Count;
            skipToken = page.NextLink;
            if (skipToken is null)
            {
                break;
            }

            if (!seen.Add(skipToken))
            {
                throw new EvidenceSourceException($"Resource Graph returned the same $skipToken twice for the '{query.Name}' query; the population cannot be proven complete and nothing was committed.", 200, "RepeatedSkipToken");
            }
        }

        if (received != total)
        {
            throw new EvidenceSourceException(
                string.Create(CultureInfo.InvariantCulture, $"Resource Graph's '{query.Name}' query reported totalRecords {total} but {received} rows arrived over {pages} page(s): the population is incomplete, so nothing was committed."),
                200, "CountMismatch");
        }

        LogQueried(logger, query.Name, received, pages);
    }

    /// <summary>The request body: the same query and scope on every page, with the previous page's $skipToken.</summary>
    public static ReadOnlyMemory<byte> Body(ResourceGraphQuery query, string? skipToken)
    {
        var buffer = new ArrayBufferWriter<byte>(query.Text.Length + 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (query.Subscriptions is { } subscriptions)
            {
                w.WriteStartArray("subscriptions");
                foreach (var subscription in subscriptions)
                {
                    w.WriteStringValue(subscription);
                }

                w.WriteEndArray();
            }

            w.WriteString("query", query.Text);
            w.WriteStartObject("options");
            w.WriteNumber("$top", query.Top);
            if (skipToken is not null)
            {
                w.WriteString("$skipToken", skipToken);
            }

            w.WriteString("resultFormat", "objectArray");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private async Task<(JsonPage Page, IReadOnlyDictionary<string, string> Headers)> FetchPageAsync(Uri url, ResourceGraphQuery query, string? skipToken, int pagesBefore, CancellationToken cancellationToken)
    {
        var body = Body(query, skipToken);
        for (var attempt = 0; ; attempt++)
        {
            await WaitForQuotaAsync(cancellationToken).ConfigureAwait(false);
            ArmResponse response;
            try
            {
                response = await arm.PostAsync(url, body, cancellationToken).ConfigureAwait(false);
            }
            catch (ArmRequestException ex)
            {
                throw Explain(ex, query);
            }

            NoteQuota(response.Headers);
            try
            {
                return (JsonPage.Parse(response.Body, "data", "$skipToken"), response.Headers);
            }
            catch (JsonException ex) when (IsWellFormed(response.Body))
            {
                throw new EvidenceSourceException(
                    $"Resource Graph answered page {pagesBefore + 1} of the '{query.Name}' query in a shape this collector does not read ({ex.Message}); it asks for resultFormat objectArray. Nothing was committed.",
                    200, "UnexpectedShape", ex);
            }
            catch (JsonException ex) when (attempt < arm.MalformedPageRetries)
            {
                LogMalformedPage(logger, ex, query.Name, pagesBefore + 1, attempt + 1);
                await Task.Delay(arm.PageRetryDelay * (attempt + 1), time, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new EvidenceSourceException($"Resource Graph answered page {pagesBefore + 1} of the '{query.Name}' query with a body that is not valid JSON {attempt + 1} times ({ex.Message}); nothing was committed.", inner: ex);
            }
        }
    }

    /// <summary>When the last answer said the quota is spent, the next call waits until it resets (each page costs one unit).</summary>
    private async Task WaitForQuotaAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset until;
        lock (_gate)
        {
            until = _quotaBlockedUntil;
        }

        var wait = until - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            LogQuotaWait(logger, wait.TotalSeconds);
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private void NoteQuota(IReadOnlyDictionary<string, string> headers)
    {
        if (!headers.TryGetValue(QuotaRemainingHeader, out var remainingText)
            || !int.TryParse(remainingText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var remaining)
            || remaining > 0)
        {
            return;
        }

        // hh:mm:ss; an unreadable value still means "spent": wait a second rather than hammer the service.
        var resetsAfter = headers.TryGetValue(QuotaResetsAfterHeader, out var text) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) && parsed >= TimeSpan.Zero
            ? parsed
            : TimeSpan.FromSeconds(1);
        var until = time.GetUtcNow() + (resetsAfter > MaxQuotaWait ? MaxQuotaWait : resetsAfter);
        lock (_gate)
        {
            if (until > _quotaBlockedUntil)
            {
                _quotaBlockedUntil = until;
            }
        }
    }

    private static bool IsWellFormed(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsTrue(JsonElement value) =>
        value.ValueKind == JsonValueKind.True || (value.ValueKind == JsonValueKind.String && string.Equals(value.GetString(), "true", StringComparison.OrdinalIgnoreCase));

    private static long? Number(JsonPage page, string property) =>
        page.Properties.TryGetValue(property, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static EvidenceSourceException Explain(ArmRequestException ex, ResourceGraphQuery query)
    {
        var scope = query.Subscriptions is { Count: > 0 } s ? $"subscription(s) {string.Join(", ", s)}" : "the tenant";
        return SourceFailure.Explain(ex, "Resource Graph", $"the '{query.Name}' query over {scope}",
            "the collector's identity needs the Security Reader role (or Reader) on each subscription to read Defender for Cloud data");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Resource Graph query {Query}: {Rows} rows in {Pages} page(s), complete")]
    private static partial void LogQueried(ILogger logger, string query, long rows, int pages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resource Graph quota spent; waiting {Seconds:F1} s for it to reset")]
    private static partial void LogQuotaWait(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resource Graph page {Page} of query {Query} was not valid JSON (attempt {Attempt}); fetching it again")]
    private static partial void LogMalformedPage(ILogger logger, Exception exception, string query, int page, int attempt);
}
