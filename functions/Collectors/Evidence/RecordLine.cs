using System.Text.Json;

namespace Collectors.Evidence;

/// <summary>
/// Turns one raw source record into one NDJSON line. The record must be exactly one JSON value. Its
/// bytes are kept as the source sent them, except that whitespace between tokens is removed when the
/// record spans several lines (a pretty-printed source), since a line may hold only one record.
/// Every token, including string escapes and number spellings, stays byte-identical.
/// </summary>
internal static class RecordLine
{
    public static ReadOnlyMemory<byte> Normalize(ReadOnlyMemory<byte> record, ref byte[]? scratch, long index)
    {
        var span = record.Span;
        var start = 0;
        var end = span.Length;
        while (start < end && IsWhitespace(span[start]))
        {
            start++;
        }

        while (end > start && IsWhitespace(span[end - 1]))
        {
            end--;
        }

        if (start == end)
        {
            throw new InvalidDataException($"Record {index} is empty; a source record must be one JSON value.");
        }

        var trimmed = record[start..end];
        Validate(trimmed.Span, index);
        if (trimmed.Span.IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            return trimmed;
        }

        if (scratch is null || scratch.Length < trimmed.Length)
        {
            scratch = new byte[Math.Max(trimmed.Length, 4096)];
        }

        var length = Minify(trimmed.Span, scratch);
        return scratch.AsMemory(0, length);
    }

    private static void Validate(ReadOnlySpan<byte> json, long index)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 });
            if (!reader.Read())
            {
                throw new JsonException("no JSON value");
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new JsonException($"more than one JSON value (a second one starts at byte {reader.TokenStartIndex})");
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Record {index} is not a single well-formed JSON value: {ex.Message}", ex);
        }
    }

    /// <summary>Copies JSON text without insignificant whitespace; strings (with their escapes) are copied as they are.</summary>
    internal static int Minify(ReadOnlySpan<byte> json, Span<byte> destination)
    {
        var written = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                destination[written++] = b;
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    escaped = true;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (!IsWhitespace(b))
            {
                destination[written++] = b;
                inString = b == (byte)'"';
            }
        }

        return written;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}
