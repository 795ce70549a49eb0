using System.Text;
using System.Text.Json;

namespace Collectors.Arm;

/// <summary>
/// One page of a list response, kept as the bytes the service sent: each item of the array is a slice
/// of the body (no re-serialisation), and the next link is read from its property.
/// </summary>
internal sealed class JsonPage
{
    private readonly List<Range> _items;

    private JsonPage(ReadOnlyMemory<byte> body, List<Range> items, string? nextLink, Dictionary<string, JsonElement> scalars)
    {
        Body = body;
        _items = items;
        NextLink = nextLink;
        Properties = scalars;
    }

    public ReadOnlyMemory<byte> Body { get; }

    public int Count => _items.Count;

    public string? NextLink { get; }

    /// <summary>Other top-level properties (counts, truncation flags), cloned out of the body.</summary>
    public IReadOnlyDictionary<string, JsonElement> Properties { get; }

    public IEnumerable<ReadOnlyMemory<byte>> Items => _items.Select(r => Body[r]);

    /// <summary>Parses and validates the whole body; a body cut short throws <see cref="JsonException"/>.</summary>
    public static JsonPage Parse(ReadOnlyMemory<byte> body, string arrayProperty, string nextLinkProperty)
    {
        var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The response body is not a JSON object.");
        }

        var items = new List<Range>();
        string? nextLink = null;
        var found = false;
        var scalars = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (name == arrayProperty)
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    found = true;
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new JsonException($"'{arrayProperty}' is not an array.");
                }

                found = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    items.Add(new Range(start, (int)reader.BytesConsumed));
                }
            }
            else if (name == nextLinkProperty && reader.TokenType is JsonTokenType.String or JsonTokenType.Null)
            {
                nextLink = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else
            {
                using var element = JsonDocument.ParseValue(ref reader);
                scalars[name] = element.RootElement.Clone();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new JsonException("The response body does not end where its top-level object ends.");
        }

        if (!found)
        {
            throw new JsonException($"The response has no '{arrayProperty}' array (got: {string.Join(", ", scalars.Keys)}).");
        }

        return new JsonPage(body, items, string.IsNullOrEmpty(nextLink) ? null : nextLink, scalars);
    }

    public override string ToString() => $"{Count} item(s){(NextLink is null ? string.Empty : ", more")}: {Encoding.UTF8.GetString(Body.Span[..Math.Min(80, Body.Length)])}…";
}
