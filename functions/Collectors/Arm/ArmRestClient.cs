using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Collectors.Configuration;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;

namespace Collectors.Arm;

/// <summary>
/// The one small client for the ARM REST APIs the SDK packages here do not cover (Activity Log,
/// Resource Graph, Recovery Services): Azure.Core's pipeline (retries honouring Retry-After, logging,
/// a bearer token for the configured cloud), the configured endpoint and trust, and raw pages.
/// </summary>
internal sealed partial class ArmRestClient
{
    private readonly HttpPipeline _pipeline;
    private readonly int _malformedPageRetries;
    private readonly TimeSpan _pageRetryDelay;
    private readonly ILogger _logger;
    private readonly TokenCredential _credential;
    private readonly string _scope;
    private readonly CredentialKind _credentialKind;

    public ArmRestClient(AzureOptions options, TokenCredential credential, ILogger<ArmRestClient> logger)
        : this(options.ResolveResourceManagerEndpoint(), $"{options.ResolveCloud().ResourceManager.GetLeftPart(UriPartial.Authority)}/.default", options, credential, logger)
    {
    }

    internal ArmRestClient(Uri endpoint, string scope, AzureOptions options, TokenCredential credential, ILogger logger)
    {
        Endpoint = endpoint;
        _logger = logger;
        _credential = credential;
        _scope = scope;
        _credentialKind = options.Credential;
        var clientOptions = new RestClientOptions();
        clientOptions.Retry.MaxRetries = options.Retry.MaxRetries;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.Delay = TimeSpan.FromSeconds(options.Retry.DelaySeconds);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(options.Retry.MaxDelaySeconds);
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(options.Retry.NetworkTimeoutSeconds);
        clientOptions.RetryPolicy = new RetryPolicy(
            options.Retry.MaxRetries,
            new QuotaAwareDelayStrategy(DelayStrategy.CreateExponentialDelayStrategy(TimeSpan.FromSeconds(options.Retry.DelaySeconds), TimeSpan.FromSeconds(options.Retry.MaxDelaySeconds))));
        var transport = TrustedTransport.CreateAzureTransport(options.AdditionalTrustedCertificate);
        if (transport is not null)
        {
            clientOptions.Transport = transport;
        }

        _malformedPageRetries = Math.Max(0, options.Retry.MalformedPageRetries);
        _pageRetryDelay = TimeSpan.FromSeconds(options.Retry.DelaySeconds);
        _pipeline = HttpPipelineBuilder.Build(clientOptions, new BearerTokenAuthenticationPolicy(credential, scope));
    }

    public Uri Endpoint { get; }

    /// <summary>Times one page whose body is not valid JSON is fetched again (Azure:Retry:MalformedPageRetries).</summary>
    public int MalformedPageRetries => _malformedPageRetries;

    /// <summary>The first wait before such a page is fetched again; it grows with each attempt.</summary>
    public TimeSpan PageRetryDelay => _pageRetryDelay;

    /// <summary>The tenant of the identity that calls ARM: the <c>tid</c> claim of its access token (null if the token is not a JWT).</summary>
    public async Task<string?> GetTenantIdAsync(CancellationToken cancellationToken)
    {
        var token = await _credential.GetTokenAsync(new TokenRequestContext([_scope]), cancellationToken).ConfigureAwait(false);
        return EvidenceStore.ReadClaims(token.Token).GetValueOrDefault("tid");
    }

    /// <summary>Who calls ARM: the claims of this client's own access token (not validated: it names ourselves).</summary>
    public async Task<ManifestIdentity> CallerAsync(CancellationToken cancellationToken)
    {
        var token = await _credential.GetTokenAsync(new TokenRequestContext([_scope]), cancellationToken).ConfigureAwait(false);
        return ManifestIdentity.FromClaims(_credentialKind.ToString(), EvidenceStore.ReadClaims(token.Token));
    }

    /// <summary>GET one URL; a non-success answer (after retries) throws <see cref="ArmRequestException"/>.</summary>
    public async Task<ReadOnlyMemory<byte>> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        EnsureSameHost(url);
        using var message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(url);
        message.Request.Headers.Add("Accept", "application/json");
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        var body = response.Content.ToMemory();
        if (response.Status is < 200 or > 299)
        {
            throw ArmRequestException.From(response.Status, body, url);
        }

        return body;
    }

    /// <summary>
    /// POST a JSON body to one URL (Resource Graph queries are POSTed); a non-success answer (after retries)
    /// throws <see cref="ArmRequestException"/>. The answer keeps its headers, which carry quotas.
    /// </summary>
    public async Task<ArmResponse> PostAsync(Uri url, ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        EnsureSameHost(url);
        using var message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri.Reset(url);
        message.Request.Headers.Add("Accept", "application/json");
        message.Request.Headers.Add("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(json);
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        var body = response.Content.ToMemory();
        if (response.Status is < 200 or > 299)
        {
            throw ArmRequestException.From(response.Status, body, url);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers)
        {
            headers[header.Name] = header.Value;
        }

        return new ArmResponse(body, headers);
    }

    /// <summary>
    /// Every page of a list, following next links to the end. A page whose body is not valid JSON (cut
    /// short in transit) is fetched again. The log records each page, and completeness only at the end.
    /// </summary>
    public async IAsyncEnumerable<JsonPage> GetPagesAsync(Uri first, SourceLog log, string arrayProperty, string nextLinkProperty, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var links = new NextLinks(Endpoint, "ARM", "Azure__ResourceManagerEndpoint");
        Uri? url = first;
        while (url is not null)
        {
            var page = await GetPageAsync(url, arrayProperty, nextLinkProperty, cancellationToken).ConfigureAwait(false);
            log.AddPage();
            yield return page;
            url = links.Next(page.NextLink);
        }

        log.MarkComplete();
    }

    private async Task<JsonPage> GetPageAsync(Uri url, string arrayProperty, string nextLinkProperty, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var body = await GetAsync(url, cancellationToken).ConfigureAwait(false);
            try
            {
                return JsonPage.Parse(body, arrayProperty, nextLinkProperty);
            }
            catch (JsonException ex) when (attempt < _malformedPageRetries)
            {
                LogMalformedPage(_logger, ex, NextLinks.Redact(url.ToString()), attempt + 1, body.Length);
                await Task.Delay(_pageRetryDelay * (attempt + 1), cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new EvidenceSourceException($"The service answered {url.GetLeftPart(UriPartial.Path)} with a body that is not valid JSON {attempt + 1} times ({ex.Message}); nothing was committed. The next run retries this window.", inner: ex);
            }
        }
    }

    /// <summary>The bearer token goes only to the configured endpoint's host; a next link elsewhere is refused.</summary>
    private void EnsureSameHost(Uri url)
    {
        if (!string.Equals(url.GetLeftPart(UriPartial.Authority), Endpoint.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            throw new EvidenceSourceException($"Refusing to send the ARM token to {url.GetLeftPart(UriPartial.Authority)}: the configured Resource Manager endpoint is {Endpoint.GetLeftPart(UriPartial.Authority)} (Azure__ResourceManagerEndpoint).");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Page {Url} was not valid JSON (attempt {Attempt}, {Bytes} bytes); fetching it again")]
    private static partial void LogMalformedPage(ILogger logger, Exception exception, string url, int attempt, int bytes);

    private sealed class RestClientOptions : ClientOptions
    {
    }

    /// <summary>
    /// The usual back-off (which honours Retry-After), but a 429 from Resource Graph, which announces its
    /// quota reset in x-ms-user-quota-resets-after (hh:mm:ss) instead, waits at least that long.
    /// </summary>
    private sealed class QuotaAwareDelayStrategy(DelayStrategy inner) : DelayStrategy(TimeSpan.FromMinutes(5), 0)
    {
        protected override TimeSpan GetNextDelayCore(Azure.Response? response, int retryNumber)
        {
            var delay = inner.GetNextDelay(response, retryNumber);
            if (response is { Status: 429 } && response.Headers.TryGetValue(ResourceGraphClient.QuotaResetsAfterHeader, out var text)
                && TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var resetsAfter) && resetsAfter > delay)
            {
                return resetsAfter;
            }

            return delay;
        }
    }
}

/// <summary>A successful answer: its body and its headers (names compared without case).</summary>
internal sealed record ArmResponse(ReadOnlyMemory<byte> Body, IReadOnlyDictionary<string, string> Headers);
