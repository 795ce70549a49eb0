using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;

namespace Collectors.Simulator.KeyVault;

/// <summary>
/// The two Key Vault key operations the evidence signer uses, as the REST API answers them:
/// <c>GET /keys/{name}[/{version}]</c> (the public JWK, with the versioned kid) and
/// <c>POST /keys/{name}/{version}/sign</c> (ES256 over a 32-byte digest, base64url). Keys are EC P-256,
/// generated at start and never leave the simulator, like a non-exportable key. Only the configured key
/// names exist; <c>POST /_simulator/keys/{name}/rotate</c> adds a version.
/// </summary>
public sealed class KeyVaultEndpoint(IEnumerable<string> keyNames, bool refuseSign)
{
    public const string DefaultKeyName = "evidence-signing";

    private readonly ConcurrentDictionary<string, List<(string Version, ECDsa Key)>> _keys =
        new(keyNames.Select(n => KeyValuePair.Create(n, new List<(string, ECDsa)> { (NewVersion(), ECDsa.Create(ECCurve.NamedCurves.nistP256)) })), StringComparer.OrdinalIgnoreCase);

    private int _signed;

    /// <summary>Sign operations served.</summary>
    public int Signed => Volatile.Read(ref _signed);

    public void Map(WebApplication app)
    {
        app.MapGet("/keys/{name}", (HttpContext context, string name) => GetAsync(context, name, null));
        app.MapGet("/keys/{name}/{version}", (HttpContext context, string name, string version) => GetAsync(context, name, version));
        app.MapPost("/keys/{name}/{version}/sign", (HttpContext context, string name, string version) => SignAsync(context, name, version));
        app.MapPost("/_simulator/keys/{name}/rotate", (HttpContext context, string name) =>
        {
            if (!_keys.TryGetValue(name, out var versions))
            {
                return WriteErrorAsync(context, 404, "KeyNotFound", $"A key with (name/id) {name} was not found in this key vault.");
            }

            lock (versions)
            {
                versions.Add((NewVersion(), ECDsa.Create(ECCurve.NamedCurves.nistP256)));
            }

            return GetAsync(context, name, null);
        });
    }

    private Task GetAsync(HttpContext context, string name, string? version)
    {
        if (Find(name, version) is not { } found)
        {
            return WriteErrorAsync(context, 404, "KeyNotFound", $"A key with (name/id) {name}{(version is null ? string.Empty : "/" + version)} was not found in this key vault.");
        }

        var q = found.Key.ExportParameters(false).Q;
        var kid = Kid(context, name, found.Version);
        return context.Response.WriteAsJsonAsync(new
        {
            key = new Dictionary<string, object>
            {
                ["kid"] = kid,
                ["kty"] = "EC",
                ["key_ops"] = new[] { "sign", "verify" },
                ["crv"] = "P-256",
                ["x"] = Base64Url(q.X!),
                ["y"] = Base64Url(q.Y!),
            },
            attributes = new { enabled = true, exportable = false, recoveryLevel = "Recoverable", recoverableDays = 90 },
        });
    }

    private async Task SignAsync(HttpContext context, string name, string version)
    {
        if (refuseSign)
        {
            await WriteErrorAsync(context, 403, "Forbidden", $"Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/keys/sign/action' Resource: '/keys/{name}'.");
            return;
        }

        if (Find(name, version) is not { } found)
        {
            await WriteErrorAsync(context, 404, "KeyNotFound", $"A key with (name/id) {name}/{version} was not found in this key vault.");
            return;
        }

        string? alg = null, value = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            alg = body.RootElement.GetProperty("alg").GetString();
            value = body.RootElement.GetProperty("value").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
        }

        byte[] digest;
        try
        {
            digest = FromBase64Url(value ?? string.Empty);
        }
        catch (FormatException)
        {
            digest = [];
        }

        if (alg != "ES256" || digest.Length != 32)
        {
            await WriteErrorAsync(context, 400, "BadParameter", "ES256 signs a 32-byte SHA-256 digest (value, base64url) with a P-256 key.");
            return;
        }

        Interlocked.Increment(ref _signed);
        await context.Response.WriteAsJsonAsync(new { kid = Kid(context, name, found.Version), value = Base64Url(found.Key.SignHash(digest)) });
    }

    private (string Version, ECDsa Key)? Find(string name, string? version)
    {
        if (!_keys.TryGetValue(name, out var versions))
        {
            return null;
        }

        lock (versions)
        {
            return version is null ? versions[^1] : versions.FirstOrDefault(v => v.Version == version) is { Key: not null } match ? match : null;
        }
    }

    private static string Kid(HttpContext context, string name, string version) => $"https://{context.Request.Host}/keys/{name}/{version}";

    private static string NewVersion() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { code, message } });
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
