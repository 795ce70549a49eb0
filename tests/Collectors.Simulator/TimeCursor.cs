using System.Globalization;
using System.Text;

namespace Collectors.Simulator;

/// <summary>
/// The $skiptoken of the time-ordered lists (Activity Log, Graph audit logs): the last item's timestamp and
/// id, so a page boundary stays put when late items become visible in between.
/// </summary>
public static class TimeCursor
{
    public static string Encode(long ticks, string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{ticks}|{id}"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static (long Ticks, string Id)? Decode(string token)
    {
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|');
            return parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var ticks) ? (ticks, parts[1]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>True when an item (newest first, then id descending) comes after the cursor.</summary>
    public static bool IsAfter((long Ticks, string Id) cursor, long ticks, string id) =>
        ticks < cursor.Ticks || (ticks == cursor.Ticks && string.CompareOrdinal(id, cursor.Id) < 0);
}
