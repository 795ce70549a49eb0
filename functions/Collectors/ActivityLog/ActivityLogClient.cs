using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Collectors.Arm;
using Collectors.Evidence;

namespace Collectors.ActivityLog;

/// <summary>
/// The subscription Activity Log: GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values
/// (api-version 2015-04-01, the only stable one), every page, records as returned.
/// </summary>
internal sealed class ActivityLogClient(ArmRestClient arm)
{
    public const string ApiVersion = "2015-04-01";
    public const string SubscriptionsApiVersion = "2022-12-01";

    /// <summary>
    /// The window [start, end) as the API's inclusive filter: eventTimestamp le is inclusive, so the end is
    /// one tick (100 ns, the timestamps' precision) before the next window's start.
    /// </summary>
    public static string Filter(TimeWindow window) =>
        $"eventTimestamp ge '{Format(window.Start)}' and eventTimestamp le '{Format(window.End.AddTicks(-1))}'";

    public Uri WindowUrl(string subscriptionId, TimeWindow window) =>
        new(arm.Endpoint, $"subscriptions/{Uri.EscapeDataString(subscriptionId)}/providers/Microsoft.Insights/eventtypes/management/values?api-version={ApiVersion}&$filter={Uri.EscapeDataString(Filter(window))}");

    /// <summary>The raw events of one window, every page followed; notes records the source placed outside the window.</summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadWindowAsync(string subscriptionId, TimeWindow window, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var url = WindowUrl(subscriptionId, window);
        log.AddRequest(new SourceRequest("GET", url.GetLeftPart(UriPartial.Path), ApiVersion, Filter(window)));
        long outside = 0;
        IAsyncEnumerator<JsonPage> pages;
        try
        {
            pages = arm.GetPagesAsync(url, log, "value", "nextLink", cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (ArmRequestException ex)
        {
            throw Explain(ex, subscriptionId);
        }

        await using (pages.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await pages.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (ArmRequestException ex)
                {
                    throw Explain(ex, subscriptionId);
                }

                foreach (var item in pages.Current.Items)
                {
                    if (EvidenceReader.ReadString(item.Span, "eventTimestamp") is { } stamp
                        && DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
                        && (at < window.Start || at >= window.End))
                    {
                        outside++;
                    }

                    yield return item;
                }
            }
        }

        if (outside > 0)
        {
            log.Note = string.Create(CultureInfo.InvariantCulture, $"{outside} record(s) returned by the source have an eventTimestamp outside the window; kept as returned.");
        }
    }

    /// <summary>Every subscription the identity can see that can be read (not Disabled or Deleted).</summary>
    public async Task<IReadOnlyList<string>> ListSubscriptionsAsync(CancellationToken cancellationToken)
    {
        var result = new List<string>();
        var log = new SourceLog();
        try
        {
            await foreach (var page in arm.GetPagesAsync(new Uri(arm.Endpoint, $"subscriptions?api-version={SubscriptionsApiVersion}"), log, "value", "nextLink", cancellationToken).ConfigureAwait(false))
            {
                foreach (var item in page.Items)
                {
                    using var document = JsonDocument.Parse(item);
                    var root = document.RootElement;
                    var state = root.TryGetProperty("state", out var s) ? s.GetString() : null;
                    if (root.TryGetProperty("subscriptionId", out var id) && state is not ("Disabled" or "Deleted"))
                    {
                        result.Add(id.GetString()!);
                    }
                }
            }
        }
        catch (ArmRequestException ex)
        {
            throw new EvidenceSourceException(
                $"Listing subscriptions failed with {ex.Status} {ex.Code}: {ex.ServiceMessage} Set Collectors__ActivityLog__Subscriptions__0 (and __1, …) to the subscription ids to collect, or grant the identity Reader on them.",
                ex.Status, ex.Code, ex);
        }

        return result;
    }

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static EvidenceSourceException Explain(ArmRequestException ex, string subscriptionId) =>
        SourceFailure.Explain(ex, "ARM", $"the Activity Log of subscription {subscriptionId}",
            $"the collector's identity needs the Reader role on /subscriptions/{subscriptionId} (action microsoft.insights/eventtypes/values/read)",
            "the subscription does not exist or the identity cannot see it. Check Collectors__ActivityLog__Subscriptions");
}
