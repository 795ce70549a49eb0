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

namespace Collectors.Entra;

/// <summary>
/// Microsoft Graph's reporting APIs through the Graph SDK (its authentication, retry and redirect
/// middleware, plus the <see cref="ReportingPacer"/>), reading raw JSON pages rather than typed models
/// so that no field is lost. Every @odata.nextLink is followed.
/// </summary>
internal sealed partial class GraphReportingClient
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
        _pageRetries = Math.Max(0, options.Retry.MalformedPageRetries);
        _backoff = TimeSpan.FromSeconds(options.Retry.DelaySeconds);

        _graph = CreateGraphClient(options, credential, pacer.CreateHandler());
    }

    /// <summary>A Graph SDK client for the configured cloud, endpoint and trust, its retries set from Azure:Retry, with optional innermost handlers.</summary>
    public static GraphServiceClient CreateGraphClient(AzureOptions options, TokenCredential credential, params DelegatingHandler[] innermost)
    {
        var endpoint = options.ResolveGraphEndpoint();
        var handlers = GraphClientFactory.CreateDefaultHandlers(new GraphClientOptions()).ToList();
        var retry = handlers.FindIndex(h => h is RetryHandler);

        // The one layer that retries status codes: 429 and every 5xx (Kiota's default leaves out 500 and 502),
        // honouring Retry-After. Kiota's delay is whole seconds; a sub-second configured delay (tests) means at once.
        var retryOption = new RetryHandlerOption
        {
            MaxRetry = Math.Clamp(options.Retry.MaxRetries, 0, 10),
            Delay = options.Retry.DelaySeconds < 1 ? 0 : Math.Clamp((int)Math.Ceiling(options.Retry.DelaySeconds), 1, 180),
            ShouldRetry = (_, _, response) => (int)response.StatusCode is 429 or >= 500,
        };
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
        var links = new NextLinks(Endpoint, "Graph", "Azure__GraphEndpoint");
        Uri? url = first;
        while (url is not null)
        {
            var page = await GetPageAsync(url, explain, cancellationToken).ConfigureAwait(false);
            log.AddPage();
            foreach (var item in page.Items)
            {
                yield return item;
            }

            url = links.Next(page.NextLink);
        }

        log.MarkComplete();
    }

    /// <summary>
    /// One page. Status codes were retried by the SDK's retry handler already; this loop only fetches again a
    /// page whose body was cut short in transit (not valid JSON, or the connection reset while reading it).
    /// </summary>
    private async Task<JsonPage> GetPageAsync(Uri url, Func<GraphFailure, EvidenceSourceException> explain, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
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
                throw new EvidenceSourceException($"Reading {url.GetLeftPart(UriPartial.Path)} failed {attempt + 1} times ({failure.GetType().Name}: {failure.Message}); nothing was committed and the next run retries this window.", inner: failure);
            }

            var wait = _backoff * Math.Pow(2, Math.Min(attempt, 6));
            LogPageRetry(_logger, failure, url.GetLeftPart(UriPartial.Path), attempt + 1, wait.TotalSeconds);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph page {Url} failed (attempt {Attempt}); retrying in {Seconds:F1} s")]
    private static partial void LogPageRetry(ILogger logger, Exception exception, string url, int attempt, double seconds);
}

/// <summary>What Graph answered when it refused a call.</summary>
internal sealed record GraphFailure(int Status, string? Code, string Message, Uri Url);
