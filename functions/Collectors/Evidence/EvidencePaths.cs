using System.Globalization;
using System.Text.RegularExpressions;

namespace Collectors.Evidence;

/// <summary>
/// Blob names of the evidence format (see docs/evidence-format.md):
/// <c>&lt;stream&gt;/yyyy/MM/dd/&lt;start&gt;_&lt;end&gt;.&lt;suffix&gt;</c>, dated by the window start.
/// </summary>
internal static partial class EvidencePaths
{
    public const string ManifestSuffix = ".manifest.json";
    public const string ContentSuffix = ".ndjson.gz";
    public const string ErrorSuffix = ".error.json";

    public static string Folder(EvidenceStream stream, TimeWindow window) =>
        string.Create(CultureInfo.InvariantCulture, $"{stream.Name}/{window.Start.UtcDateTime:yyyy}/{window.Start.UtcDateTime:MM}/{window.Start.UtcDateTime:dd}");

    public static string Stem(TimeWindow window) => $"{TimeWindow.Token(window.Start)}_{TimeWindow.Token(window.End)}";

    public static string Manifest(EvidenceStream stream, TimeWindow window) => $"{Folder(stream, window)}/{Stem(window)}{ManifestSuffix}";

    /// <summary>A supplement to a committed window (late records); n counts from 1.</summary>
    public static string SupplementManifest(EvidenceStream stream, TimeWindow window, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"{Folder(stream, window)}/{Stem(window)}.supplement-{n:D3}{ManifestSuffix}");

    /// <summary>A pushed event's manifest: its window orders it, its key (a hash of the event id) makes redelivery a no-op.</summary>
    public static string EventManifest(EvidenceStream stream, TimeWindow window, string eventKey)
    {
        if (!EventKey().IsMatch(eventKey))
        {
            throw new ArgumentException($"An event key is 8–64 characters of a–z and 0–9; got '{eventKey}'.", nameof(eventKey));
        }

        return $"{Folder(stream, window)}/{Stem(window)}.event-{eventKey}{ManifestSuffix}";
    }

    /// <summary>
    /// A rejected message, outside every stream (verify lists these, it never counts them):
    /// <c>rejections/&lt;source&gt;/yyyy/MM/dd/&lt;sha256&gt;.rejection.json</c>, dated by receipt.
    /// </summary>
    public static string Rejection(string source, DateTimeOffset receivedAt, string sha256) =>
        string.Create(CultureInfo.InvariantCulture, $"{RejectionsPrefix}{new EvidenceStream("rejections", source).Scope}/{receivedAt.UtcDateTime:yyyy}/{receivedAt.UtcDateTime:MM}/{receivedAt.UtcDateTime:dd}/{sha256}{RejectionSuffix}");

    public const string RejectionsPrefix = "rejections/";
    public const string RejectionSuffix = ".rejection.json";

    public const string ClaimSuffix = ".claim.json";

    /// <summary>Where a stream's chain claims live: <c>&lt;stream&gt;/chain/</c>.</summary>
    public static string ChainPrefix(EvidenceStream stream) => $"{stream.Name}/chain/";

    /// <summary>
    /// The claim on chain positions from <paramref name="first"/>: <c>&lt;stream&gt;/chain/&lt;first:D12&gt;.claim.json</c>,
    /// or, when an earlier attempt at that position is not a valid claim (planted or damaged),
    /// <c>&lt;first:D12&gt;.&lt;attempt:D2&gt;.claim.json</c>. The lowest attempt that checks out holds the positions.
    /// </summary>
    public static string Claim(EvidenceStream stream, long first, int attempt = 0) =>
        attempt == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{ChainPrefix(stream)}{first:D12}{ClaimSuffix}")
            : string.Create(CultureInfo.InvariantCulture, $"{ChainPrefix(stream)}{first:D12}.{attempt:D2}{ClaimSuffix}");

    /// <summary>Reads a claim's stream, first position and attempt from its name; false for any other name.</summary>
    public static bool TryParseClaim(string blobName, out EvidenceStream stream, out long first, out int attempt)
    {
        stream = null!;
        first = -1;
        attempt = 0;
        var match = ClaimName().Match(blobName);
        if (!match.Success)
        {
            return false;
        }

        try
        {
            stream = EvidenceStream.Parse(match.Groups["stream"].Value);
            first = long.Parse(match.Groups["first"].Value, CultureInfo.InvariantCulture);
            attempt = match.Groups["attempt"].Success ? int.Parse(match.Groups["attempt"].Value, CultureInfo.InvariantCulture) : 0;
            return attempt != 0 || !match.Groups["attempt"].Success;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return false;
        }
    }

    public static string Content(EvidenceStream stream, TimeWindow window, string runId) => $"{Folder(stream, window)}/{Stem(window)}.{runId}{ContentSuffix}";

    public static string Error(EvidenceStream stream, TimeWindow window, string runId) => $"{Folder(stream, window)}/{Stem(window)}.{runId}{ErrorSuffix}";

    /// <summary>Splits an evidence blob name into stream, window and the rest; false for names outside the format.</summary>
    public static bool TryParse(string blobName, out ParsedEvidenceName parsed)
    {
        parsed = default;
        var match = Name().Match(blobName);
        if (!match.Success)
        {
            return false;
        }

        try
        {
            var stream = EvidenceStream.Parse(match.Groups["stream"].Value);
            var window = new TimeWindow(TimeWindow.ParseToken(match.Groups["start"].Value), TimeWindow.ParseToken(match.Groups["end"].Value));
            var rest = match.Groups["rest"].Value;
            var kind = rest.EndsWith(ManifestSuffix, StringComparison.Ordinal) ? EvidenceBlobKind.Manifest
                : rest.EndsWith(ContentSuffix, StringComparison.Ordinal) ? EvidenceBlobKind.Content
                : rest.EndsWith(ErrorSuffix, StringComparison.Ordinal) ? EvidenceBlobKind.Error
                : EvidenceBlobKind.Other;
            parsed = new ParsedEvidenceName(stream, window, kind, rest);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^(?<stream>[^/]+/[^/]+)/chain/(?<first>\d{12})(\.(?<attempt>\d{2}))?\.claim\.json$")]
    private static partial Regex ClaimName();

    [GeneratedRegex("^[a-z0-9]{8,64}$")]
    private static partial Regex EventKey();

    [GeneratedRegex(@"^(?<stream>[^/]+/[^/]+)/\d{4}/\d{2}/\d{2}/(?<start>\d{8}T\d{6}Z)_(?<end>\d{8}T\d{6}Z)(?<rest>\..+)$")]
    private static partial Regex Name();
}

internal enum EvidenceBlobKind
{
    Manifest,
    Content,
    Error,
    Other,
}

internal readonly record struct ParsedEvidenceName(EvidenceStream Stream, TimeWindow Window, EvidenceBlobKind Kind, string Suffix);
