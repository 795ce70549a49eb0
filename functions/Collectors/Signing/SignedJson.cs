using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Collectors.Signing;

/// <summary>
/// A signature carried inside the JSON record it signs, as the record's last top-level member
/// <c>"signature"</c>: a flat object of strings. <see cref="Value"/> is an ES256 signature (IEEE P1363,
/// r‖s, base64url) over the SHA-256 of the record's <em>canonical bytes</em>: the stored bytes with the
/// text <c>,"signature":{…}</c> removed (see <see cref="SignedJson"/>).
/// </summary>
public sealed record EvidenceSignature(
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("thumbprint")] string Thumbprint,
    [property: JsonPropertyName("value")] string Value,
    [property: JsonPropertyName("note")] string? Note = null)
{
    public const string Es256 = "ES256";

    /// <summary>Key ids of keys kept by the process itself (never a Key Vault key) start with this.</summary>
    public const string LocalKidPrefix = "local:";

    [JsonIgnore]
    public bool IsLocalKey => Kid.StartsWith(LocalKidPrefix, StringComparison.Ordinal);
}

/// <summary>What opening a stored record found: its canonical bytes and signature, or why it has none that can be read.</summary>
internal readonly record struct OpenedJson(byte[]? Canonical, EvidenceSignature? Signature, string? Problem)
{
    public bool Signed => Signature is not null && Canonical is not null;
}

/// <summary>
/// Seals a JSON object with a signature and opens it again, byte-exactly. The rule an auditor can
/// repeat without this code: find the last occurrence of <c>,"signature":{</c>; the signature object runs
/// to the next <c>}</c> (it holds only strings without braces); the canonical bytes are everything
/// before the comma followed by everything after that brace. <c>sha256(canonical)</c> is what was signed.
/// </summary>
internal static class SignedJson
{
    private static readonly byte[] Marker = ",\"signature\":{"u8.ToArray();

    private static readonly JsonSerializerOptions SignatureJson = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The digest to sign for an unsigned record: SHA-256 of its bytes.</summary>
    public static byte[] Digest(ReadOnlySpan<byte> canonical) => SHA256.HashData(canonical);

    /// <summary>Inserts the signature as the last member of the (unsigned) JSON object, before its closing brace.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> unsigned, EvidenceSignature signature)
    {
        var close = unsigned.LastIndexOf((byte)'}');
        if (close < 0 || unsigned[..close].IndexOf(Marker) >= 0)
        {
            throw new ArgumentException("Only an unsigned JSON object can be sealed.", nameof(unsigned));
        }

        // Insert directly after the last member's value, so the document keeps its own trailing layout.
        var insert = close;
        while (insert > 0 && unsigned[insert - 1] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            insert--;
        }

        var member = JsonSerializer.SerializeToUtf8Bytes(signature, SignatureJson);
        if (member.AsSpan(1).IndexOfAny((byte)'{', (byte)'}') != member.Length - 2)
        {
            throw new ArgumentException("A signature holds only strings without braces.", nameof(signature));
        }

        var sealedBytes = new byte[unsigned.Length + Marker.Length - 1 + member.Length];
        var span = sealedBytes.AsSpan();
        unsigned[..insert].CopyTo(span);
        span = span[insert..];
        Marker.AsSpan(0, Marker.Length - 1).CopyTo(span);
        span = span[(Marker.Length - 1)..];
        member.CopyTo(span);
        span = span[member.Length..];
        unsigned[insert..].CopyTo(span);
        return sealedBytes;
    }

    /// <summary>Splits a stored record into its canonical bytes and signature; reports an unsigned or malformed record.</summary>
    public static OpenedJson Open(ReadOnlySpan<byte> stored)
    {
        var at = stored.LastIndexOf(Marker);
        if (at < 0)
        {
            return new OpenedJson(null, null, "the record carries no signature");
        }

        var objectStart = at + Marker.Length - 1;
        var objectEnd = stored[objectStart..].IndexOf((byte)'}');
        if (objectEnd < 0)
        {
            return new OpenedJson(null, null, "the record's signature is cut short");
        }

        var member = stored.Slice(objectStart, objectEnd + 1);
        var rest = stored[(objectStart + objectEnd + 1)..];
        if (rest.Trim(" \r\n\t"u8).SequenceEqual("}"u8) is false)
        {
            return new OpenedJson(null, null, "the signature is not the record's last member");
        }

        EvidenceSignature? signature;
        try
        {
            signature = JsonSerializer.Deserialize<EvidenceSignature>(member, SignatureJson);
        }
        catch (JsonException ex)
        {
            return new OpenedJson(null, null, $"the signature is not readable JSON ({ex.Message})");
        }

        if (signature is null || string.IsNullOrEmpty(signature.Alg) || string.IsNullOrEmpty(signature.Kid) || string.IsNullOrEmpty(signature.Value) || string.IsNullOrEmpty(signature.Thumbprint))
        {
            return new OpenedJson(null, null, "the signature lacks alg, kid, thumbprint or value");
        }

        var canonical = new byte[at + rest.Length];
        stored[..at].CopyTo(canonical);
        rest.CopyTo(canonical.AsSpan(at));
        return new OpenedJson(canonical, signature, null);
    }

    /// <summary>
    /// The hash a chain link records for a stored record: SHA-256 (hex) of its canonical bytes, which is
    /// exactly the digest its signature signs; of the stored bytes when it is not signed (such a record
    /// fails its signature check anyway).
    /// </summary>
    public static string ChainHash(ReadOnlySpan<byte> stored)
    {
        var opened = Open(stored);
        return Convert.ToHexStringLower(Digest(opened.Signed ? opened.Canonical : stored));
    }

    /// <summary>One line naming the signature's algorithm and key, for reports.</summary>
    public static string Describe(EvidenceSignature signature) =>
        $"{signature.Alg} by {signature.Kid} (key {signature.Thumbprint}){(signature.Note is null ? string.Empty : $", {signature.Note}")}";

    internal static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        return Convert.FromBase64String(s);
    }
}
