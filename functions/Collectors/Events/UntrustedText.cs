using System.Globalization;
using System.Text;

namespace Collectors.Events;

/// <summary>
/// Text a publisher chose (event ids, types, subjects, sources) as it may be shown in a log line, a reason
/// or a console: control and formatting characters (line breaks, terminal escapes, bidirectional overrides)
/// and lone surrogates are escaped as <c>\uXXXX</c>, so one event cannot forge another log line, and
/// anything longer than the limit is cut with the length said. The evidence keeps the exact bytes.
/// </summary>
public static class UntrustedText
{
    public static string Shown(string? text, int maxLength = 200)
    {
        if (text is null)
        {
            return "(none)";
        }

        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        var i = 0;
        for (; i < text.Length && builder.Length < maxLength; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (c == '\r')
            {
                builder.Append("\\r");
            }
            else if (c == '\n')
            {
                builder.Append("\\n");
            }
            else if (c == '\t')
            {
                builder.Append("\\t");
            }
            else if (NeedsEscape(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (i < text.Length)
        {
            builder.Append(CultureInfo.InvariantCulture, $"…({text.Length} characters)");
        }

        return builder.ToString();
    }

    /// <summary>Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width, line and paragraph separators) and lone surrogates.</summary>
    private static bool NeedsEscape(char c) =>
        char.IsControl(c)
        || char.IsSurrogate(c)
        || char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
