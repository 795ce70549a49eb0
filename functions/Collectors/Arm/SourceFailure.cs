using Collectors.Evidence;

namespace Collectors.Arm;

/// <summary>
/// The one way a source's refusal is explained, for every client (ARM, Resource Graph, Graph): what failed,
/// why, and what to do, in words that end up in the error record. Retries have already happened below.
/// </summary>
internal static class SourceFailure
{
    /// <param name="service">Who answered: "ARM", "Resource Graph", "Graph".</param>
    /// <param name="what">What was asked for: "the Activity Log of subscription …".</param>
    /// <param name="permission">What the identity needs when refused with 403.</param>
    /// <param name="notFound">What to check when the target does not exist (404).</param>
    public static EvidenceSourceException Explain(string service, string what, int status, string? code, string message, string permission, string? notFound = null, Exception? inner = null) => status switch
    {
        403 => new EvidenceSourceException(
            $"{service} returned 403 {code} for {what}: {permission}. See README#permissions. {service} said: {message}", 403, code, inner),
        401 => new EvidenceSourceException(
            $"{service} returned 401 {code} for {what}: the token was not accepted. Check Azure__Credential, Azure__ManagedIdentityClientId and Azure__Cloud. {service} said: {message}", 401, code, inner),
        404 => new EvidenceSourceException(
            $"{service} returned 404 {code} for {what}: {notFound ?? "it does not exist or the identity cannot see it"}. {service} said: {message}", 404, code, inner),
        400 => new EvidenceSourceException($"{service} rejected the query for {what} with 400 {code}: {message}", 400, code, inner),
        429 => new EvidenceSourceException(
            $"{service} kept throttling {what} (429 {code}) after the configured retries (Azure__Retry__MaxRetries); another tool may be spending this identity's quota. Nothing was committed; the next run retries. {service} said: {message}", 429, code, inner),
        _ => new EvidenceSourceException(
            $"{service} kept answering {status} {code} for {what} after the configured retries (Azure__Retry__MaxRetries); nothing was committed and the next run retries this window. {service} said: {message}", status, code, inner),
    };

    public static EvidenceSourceException Explain(ArmRequestException ex, string service, string what, string permission, string? notFound = null) =>
        Explain(service, what, ex.Status, ex.Code, ex.ServiceMessage, permission, notFound, ex);
}

/// <summary>
/// Follows a list's next links, for every client: each must be new (a repeated link means the population
/// cannot be proven complete) and on the configured host (the token goes nowhere else).
/// </summary>
internal sealed class NextLinks(Uri endpoint, string service, string setting)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>The next page's URL, or null at the end of the list.</summary>
    public Uri? Next(string? link)
    {
        if (link is null)
        {
            return null;
        }

        if (!_seen.Add(link))
        {
            throw new EvidenceSourceException($"{service} returned the same next link twice ({Redact(link)}); the population cannot be proven complete. The next run retries this window.");
        }

        if (!Uri.TryCreate(link, UriKind.Absolute, out var url))
        {
            throw new EvidenceSourceException($"{service} returned a next link that is not an absolute URL ({Redact(link)}); the population cannot be proven complete.");
        }

        if (!string.Equals(url.GetLeftPart(UriPartial.Authority), endpoint.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            throw new EvidenceSourceException($"{service} returned a next link to {url.GetLeftPart(UriPartial.Authority)}, not the configured {endpoint.GetLeftPart(UriPartial.Authority)} ({setting}); refusing to follow it.");
        }

        return url;
    }

    public static string Redact(string url)
    {
        var token = url.IndexOf("skiptoken=", StringComparison.OrdinalIgnoreCase);
        return token < 0 ? url : url[..(token + "skiptoken=".Length)] + "…";
    }
}
