using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure.Core;
using Collectors.Arm;
using Collectors.Configuration;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Authentication.Azure;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace Collectors.Graph;

/// <summary>
/// Microsoft Graph's reporting APIs through the Graph SDK (its authentication, retry and redirect
/// middleware, plus the <see cref="ReportingPacer"/>), reading raw JSON pages rather than typed models
/// so that no field is lost. Every @odata.nextLink is followed.
/// </summary>
public sealed partial class GraphReportingClient
{
    private static readonly Dictionary<string, ParsableFactory<IParsable>> ErrorMapping = new() { ["XXX"] = ODataError.CreateFromDiscriminatorValue };
    private readonly GraphServiceClient _graph;
    private readonly ReportingPacer _pacer;
    private readonly int _pageRetries;
    private readonly TimeSpan _backoff;
    private readonly ILogger _logger;

    public GraphReportingClient(AzureOptions options, TokenCredential credential, ReportingPacer pacer, ILogger<GraphReportingClient> logger)
    {
        Endpoint = options.ResolveGraphEndpoint();
        _pacer = pacer;
        _logger = logger;
        _pageRetries = Math.Max(0, options.Retry.MalformedPageRetries + 3);
        _backoff = TimeSpan.FromSeconds(options.Retry.DelaySeconds);

        _graph = CreateGraphClient(options, credential, pacer.CreateHandler());
    }

    /// <summary>A Graph SDK client for the configured cloud, endpoint and trust, its retries set from Azure:Retry, with optional innermost handlers.</summary>
    public static GraphServiceClient CreateGraphClient(AzureOptions options, TokenCredential credential, params DelegatingHandler[] innermost)
    {
        var endpoint = options.ResolveGraphEndpoint();
        var handlers = GraphClientFactory.CreateDefaultHandlers(new GraphClientOptions()).ToList();
        var retry = handlers.FindIndex(h => h is RetryHandler);

        // Kiota's delay is whole seconds; a sub-second configured delay (tests) means retry at once and let the page loop back off.
        var retryOption = new RetryHandlerOption { MaxRetry = Math.Clamp(options.Retry.MaxRetries, 0, 10), Delay = options.Retry.DelaySeconds < 1 ? 0 : Math.Clamp((int)Math.Ceiling(options.Retry.DelaySeconds), 1, 180) };
        if (retry >= 0)
        {
            handlers[retry] = new RetryHandler(retryOption);
        }

        handlers.AddRange(innermost);
        var httpClient = GraphClientFactory.Create(handlers, finalHandler: TrustedTransport.CreateHandler(options.AdditionalTrustedCertificate));
        httpClient.Timeout = TimeSpan.FromSeconds(Math.Max(30, options.Retry.NetworkTimeoutSeconds));

        // Kiota sends the token only to allowed hosts: name the configured one (sovereign cloud, simulator).
        var scope = $"{options.ResolveCloud().Graph.GetLeftPart(UriPartial.Authority)}/.default";
        var authentication = new AzureIdentityAuthenticationProvider(credential, [endpoint.Host], null, true, [scope]);
        return new GraphServiceClient(httpClient, authentication, new Uri(endpoint, "v1.0").ToString());
    }

    public Uri Endpoint { get; }

    public ReportingPacer Pacer => _pacer;

    /// <summary>The items of every page from <paramref name="first"/>, as raw JSON.</summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(Uri first, SourceLog log, Func<GraphFailure, EvidenceSourceException> explain, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Uri? url = first;
        while (url is not null)
        {
            var page = await GetPageAsync(url, explain, cancellationToken).ConfigureAwait(false);
            log.AddPage();
            foreach (var item in page.Items)
            {
                yield return item;
            }

            if (page.NextLink is null)
            {
                log.MarkComplete();
                yield break;
            }

            if (!seen.Add(page.NextLink) || !Uri.TryCreate(page.NextLink, UriKind.Absolute, out url))
            {
                throw new EvidenceSourceException("Graph returned a next link that repeats or is not a URL; the population cannot be proven complete. The next run retries this window.");
            }

            if (!string.Equals(url.GetLeftPart(UriPartial.Authority), Endpoint.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
            {
                throw new EvidenceSourceException($"Graph returned a next link to {url.GetLeftPart(UriPartial.Authority)}, not the configured {Endpoint.GetLeftPart(UriPartial.Authority)} (Azure__GraphEndpoint); refusing to follow it.");
            }
        }
    }

    private async Task<JsonPage> GetPageAsync(Uri url, Func<GraphFailure, EvidenceSourceException> explain, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            Exception failure;
            try
            {
                var request = new RequestInformation { HttpMethod = Method.GET, URI = url };
                request.Headers.Add("Accept", "application/json");
                await using var stream = await _graph.RequestAdapter.SendPrimitiveAsync<Stream>(request, ErrorMapping, cancellationToken).ConfigureAwait(false)
                    ?? throw new IOException("Graph returned no body.");
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                return JsonPage.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), "value", "@odata.nextLink");
            }
            catch (ApiException ex) when (ex.ResponseStatusCode is 429 or >= 500)
            {
                failure = ex;
                retryAfter = ex.ResponseHeaders.TryGetValue("Retry-After", out var values) && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : null;
            }
            catch (ApiException ex)
            {
                var odata = ex as ODataError;
                throw explain(new GraphFailure(ex.ResponseStatusCode, odata?.Error?.Code, odata?.Error?.Message ?? ex.Message, url));
            }
            catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failure = ex;
            }

            if (attempt >= _pageRetries)
            {
                throw failure is ApiException api
                    ? explain(new GraphFailure(api.ResponseStatusCode, (api as ODataError)?.Error?.Code, (api as ODataError)?.Error?.Message ?? api.Message, url))
                    : new EvidenceSourceException($"Reading {url.GetLeftPart(UriPartial.Path)} failed {attempt + 1} times ({failure.GetType().Name}: {failure.Message}); nothing was committed and the next run retries this window.", inner: failure);
            }

            var wait = retryAfter ?? (_backoff * Math.Pow(2, Math.Min(attempt, 6)));
            LogPageRetry(_logger, failure, url.GetLeftPart(UriPartial.Path), attempt + 1, wait.TotalSeconds);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph page {Url} failed (attempt {Attempt}); retrying in {Seconds:F1} s")]
    private static partial void LogPageRetry(ILogger logger, Exception exception, string url, int attempt, double seconds);
}

/// <summary>What Graph answered when it refused a call.</summary>
public sealed record GraphFailure(int Status, string? Code, string Message, Uri Url);
