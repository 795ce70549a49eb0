using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Collectors.Configuration;
using Collectors.Evidence;

namespace Collectors.Signing;

/// <summary>
/// Signs with a non-exportable Azure Key Vault key through the Key Vault REST API
/// (<c>GET {vault}/keys/{name}</c>, <c>POST {vault}/keys/{name}/{version}/sign</c>, ES256) on an Azure.Core
/// pipeline: retries honouring Retry-After, a bearer token for the vault's audience, the configured TLS
/// trust. <c>Azure.Security.KeyVault.Keys</c> is not available here, and two calls do not need it.
/// </summary>
internal sealed class KeyVaultSigner : IEvidenceSigner
{
    public const string ApiVersion = "7.4";
    public const string Custody = "Azure Key Vault key (private part non-exportable)";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _vault;
    private readonly string _name;
    private readonly string? _pinnedVersion;
    private readonly ConcurrentDictionary<string, SigningKey> _versions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SigningKey? _current;

    public KeyVaultSigner(Uri keyId, AzureOptions azure, TokenCredential credential)
    {
        (_vault, _name, _pinnedVersion) = Parse(keyId);
        var options = new KeyVaultPipelineOptions();
        options.Retry.MaxRetries = azure.Retry.MaxRetries;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = TimeSpan.FromSeconds(azure.Retry.DelaySeconds);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(azure.Retry.MaxDelaySeconds);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        if (TrustedTransport.CreateAzureTransport(azure.AdditionalTrustedCertificate) is { } transport)
        {
            options.Transport = transport;
        }

        _pipeline = HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(credential, Scope(_vault)));
    }

    /// <summary>The key as configured, e.g. https://kv-collectors.vault.azure.net/keys/evidence-signing.</summary>
    public string KeyName => $"{_vault.GetLeftPart(UriPartial.Authority)}/keys/{_name}";

    /// <summary>Splits a Key Vault key URL: https://&lt;vault&gt;/keys/&lt;name&gt;[/&lt;version&gt;].</summary>
    public static (Uri Vault, string Name, string? Version) Parse(Uri keyId)
    {
        var segments = keyId.AbsolutePath.Trim('/').Split('/');
        if (!keyId.IsAbsoluteUri || keyId.Scheme != Uri.UriSchemeHttps || segments.Length is < 2 or > 3 || segments[0] != "keys" || segments[1].Length == 0)
        {
            throw new EvidenceStoreConfigurationException(
                $"Evidence__SigningKeyId '{keyId}' is not a Key Vault key URL. Use https://<vault>.vault.azure.net/keys/<name> (the deployment's EVIDENCE_SIGNING_KEY_ID output).");
        }

        return (new Uri(keyId.GetLeftPart(UriPartial.Authority) + "/"), segments[1], segments.Length == 3 ? segments[2] : null);
    }

    /// <summary>The token audience of a vault: its cloud's vault domain (vault.azure.net for the public cloud and for loopback simulators).</summary>
    internal static string Scope(Uri vault)
    {
        var host = vault.Host;
        foreach (var suffix in new[] { "vault.usgovcloudapi.net", "vault.azure.cn", "vault.azure.net" })
        {
            if (host.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
            {
                return $"https://{suffix}/.default";
            }
        }

        return "https://vault.azure.net/.default";
    }

    public async Task<SigningKey> CurrentKeyAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            return current;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The version is fixed for the life of the process: a rotated key is picked up on restart.
            _current ??= await GetKeyAsync(_pinnedVersion, cancellationToken).ConfigureAwait(false);
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<EvidenceSignature> SignAsync(byte[] digest, CancellationToken cancellationToken)
    {
        var key = await CurrentKeyAsync(cancellationToken).ConfigureAwait(false);
        using var message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri.Reset(new Uri($"{key.Kid}/sign?api-version={ApiVersion}"));
        message.Request.Headers.Add("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = EvidenceSignature.Es256, ["value"] = SignedJson.Base64Url(digest) }));
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        using var document = Read(message.Response, $"sign with {key.Kid}");
        var value = document.RootElement.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new EvidenceSourceException($"Key Vault answered the sign request for {key.Kid} without a signature value.");
        var kid = document.RootElement.TryGetProperty("kid", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : key.Kid;
        var signature = new EvidenceSignature(EvidenceSignature.Es256, kid, key.Thumbprint, value);
        return signature;
    }

    public async Task<SigningKey?> ResolveAsync(string kid, CancellationToken cancellationToken)
    {
        var prefix = KeyName + "/";
        if (!kid.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || kid.Length == prefix.Length || kid.AsSpan(prefix.Length).Contains('/'))
        {
            return null;
        }

        if (_versions.TryGetValue(kid, out var known))
        {
            return known;
        }

        try
        {
            var key = await GetKeyAsync(kid[prefix.Length..], cancellationToken).ConfigureAwait(false);
            return _versions.GetOrAdd(kid, key);
        }
        catch (EvidenceSourceException ex) when (ex.HttpStatus == 404)
        {
            return null;
        }
    }

    private async Task<SigningKey> GetKeyAsync(string? version, CancellationToken cancellationToken)
    {
        var url = $"{KeyName}{(version is null ? string.Empty : "/" + version)}?api-version={ApiVersion}";
        using var message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(new Uri(url));
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        using var document = Read(message.Response, $"read key {KeyName}");
        if (!document.RootElement.TryGetProperty("key", out var jwk))
        {
            throw new EvidenceSourceException($"Key Vault answered GET {KeyName} without a key.");
        }

        try
        {
            var key = SigningKey.FromJwk(jwk, Custody);
            _versions.TryAdd(key.Kid, key);
            return key;
        }
        catch (FormatException ex)
        {
            throw new EvidenceStoreConfigurationException($"The signing key {KeyName} cannot sign evidence: {ex.Message} Create it as an EC P-256 key with the sign operation (infra/bicep does).", ex);
        }
    }

    private JsonDocument Read(Response response, string what)
    {
        if (response.Status is >= 200 and < 300)
        {
            return JsonDocument.Parse(response.Content.ToMemory());
        }

        var code = string.Empty;
        var detail = string.Empty;
        try
        {
            using var error = JsonDocument.Parse(response.Content.ToMemory());
            if (error.RootElement.TryGetProperty("error", out var e))
            {
                code = e.TryGetProperty("code", out var c) ? c.GetString() ?? string.Empty : string.Empty;
                detail = e.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : string.Empty;
            }
        }
        catch (JsonException)
        {
            // Not Key Vault's error shape; the status says enough.
        }

        var reason = response.Status switch
        {
            401 => "the token was not accepted: check Azure__Credential and Azure__Cloud",
            403 => $"the app's identity may not use the key: it needs the Collectors Evidence Signer role (keys/read and keys/sign) on {KeyName} (infra/bicep grants it; see README#permissions)",
            404 => $"no such key: check Evidence__SigningKeyId ({KeyName})",
            _ => "Key Vault kept failing after the retries; nothing was written",
        };
        throw new EvidenceSourceException($"Key Vault refused to {what}: {response.Status} {code}: {reason}. Key Vault said: {detail}", response.Status, code);
    }

    private sealed class KeyVaultPipelineOptions : ClientOptions;
}
