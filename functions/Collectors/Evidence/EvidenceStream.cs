using System.Text.RegularExpressions;

namespace Collectors.Evidence;

/// <summary>
/// One collector over one scope, e.g. <c>activity-log/sub-0b1f…</c>. The name is the blob prefix of
/// everything the stream writes, so it is lower-case and limited to URL-safe characters.
/// </summary>
public sealed partial record EvidenceStream
{
    public EvidenceStream(string collector, string scope)
    {
        Collector = Validate(collector, nameof(collector));
        Scope = Validate(scope, nameof(scope));
    }

    public string Collector { get; }

    public string Scope { get; }

    public string Name => $"{Collector}/{Scope}";

    public static EvidenceStream Parse(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == name.Length - 1 || name.IndexOf('/', slash + 1) >= 0)
        {
            throw new FormatException($"'{name}' is not a stream name; expected '<collector>/<scope>', e.g. 'activity-log/sub-<subscriptionId>'.");
        }

        return new EvidenceStream(name[..slash], name[(slash + 1)..]);
    }

    public override string ToString() => Name;

    private static string Validate(string value, string what)
    {
        var lower = value.ToLowerInvariant();
        if (!Segment().IsMatch(lower))
        {
            throw new ArgumentException($"Stream {what} '{value}' must be 1–100 characters of a–z, 0–9, '-', '.' or '_', starting with a letter or digit.", what);
        }

        return lower;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex Segment();
}
