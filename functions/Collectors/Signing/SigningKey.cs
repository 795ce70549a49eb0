using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Collectors.Signing;

/// <summary>
/// The public half of an evidence signing key: an EC P-256 JSON Web Key with the key id that signatures
/// name. Its <see cref="Thumbprint"/> (RFC 7638) is what an auditor pins with <c>verify --trusted-key</c>.
/// </summary>
public sealed record SigningKey
{
    public const string SchemaId = "collectors.key/v1";

    [JsonPropertyName("schema")]
    public string Schema { get; init; } = SchemaId;

    [JsonPropertyName("kid")]
    public required string Kid { get; init; }

    [JsonPropertyName("kty")]
    public string Kty { get; init; } = "EC";

    [JsonPropertyName("crv")]
    public string Crv { get; init; } = "P-256";

    [JsonPropertyName("x")]
    public required string X { get; init; }

    [JsonPropertyName("y")]
    public required string Y { get; init; }

    /// <summary>RFC 7638 thumbprint, recorded for people; verifiers recompute it from x and y.</summary>
    [JsonPropertyName("thumbprint")]
    public string Thumbprint => ComputeThumbprint(Crv, X, Y);

    /// <summary>Where the private key lives: "Azure Key Vault (non-exportable)" or the local key's caveat.</summary>
    [JsonPropertyName("custody")]
    public string? Custody { get; init; }

    public static SigningKey FromParameters(string kid, ECParameters parameters, string? custody) => new()
    {
        Kid = kid,
        X = SignedJson.Base64Url(parameters.Q.X!),
        Y = SignedJson.Base64Url(parameters.Q.Y!),
        Custody = custody,
    };

    /// <summary>Reads a JWK (a Key Vault <c>key</c> object or a published key record); throws <see cref="FormatException"/> for anything but EC P-256.</summary>
    public static SigningKey FromJwk(JsonElement jwk, string? custody = null)
    {
        string Text(string name) => jwk.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"The key has no '{name}'.");
        var kty = Text("kty");
        var crv = Text("crv");
        if (kty is not ("EC" or "EC-HSM") || crv != "P-256")
        {
            throw new FormatException($"Evidence is signed with EC P-256 keys (ES256); this key is {kty} {crv}.");
        }

        custody ??= jwk.TryGetProperty("custody", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        var key = new SigningKey { Kid = Text("kid"), X = Text("x"), Y = Text("y"), Custody = custody };
        if (SignedJson.FromBase64Url(key.X).Length != 32 || SignedJson.FromBase64Url(key.Y).Length != 32)
        {
            throw new FormatException("The key's x or y is not a P-256 coordinate.");
        }

        return key;
    }

    /// <summary>True when <paramref name="signature"/> is an ES256 signature by this key over SHA-256 of <paramref name="canonical"/>.</summary>
    public bool Verifies(ReadOnlySpan<byte> canonical, EvidenceSignature signature)
    {
        if (signature.Alg != EvidenceSignature.Es256)
        {
            return false;
        }

        byte[] value;
        try
        {
            value = SignedJson.FromBase64Url(signature.Value);
        }
        catch (FormatException)
        {
            return false;
        }

        try
        {
            using var ecdsa = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = SignedJson.FromBase64Url(X), Y = SignedJson.FromBase64Url(Y) },
            });
            return ecdsa.VerifyHash(SignedJson.Digest(canonical), value);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            // Not a point on the curve (a planted key): it verifies nothing.
            return false;
        }
    }

    public static string ComputeThumbprint(string crv, string x, string y) =>
        SignedJson.Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"{crv}\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}")));
}
