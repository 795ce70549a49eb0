using System.Text.Json;
using Azure.Core;
using Azure.Identity;

namespace Collectors.Configuration;

/// <summary>Builds the one <see cref="TokenCredential"/> the suite uses, from <c>Azure:Credential</c>.</summary>
internal static class CredentialFactory
{
    public static TokenCredential Create(AzureOptions options, IEnumerable<Uri> endpoints)
    {
        var cloud = options.ResolveCloud();
        switch (options.Credential)
        {
            case CredentialKind.Simulator:
                var remote = endpoints.Where(e => !e.IsLoopback).ToList();
                if (remote.Count > 0)
                {
                    throw new InvalidOperationException(
                        $"Azure:Credential=Simulator sends a fixed fake token and is only allowed when every endpoint is on loopback, but {string.Join(", ", remote)} is not. " +
                        "Use Default, ManagedIdentity or AzureCli for real endpoints.");
                }

                return new SimulatorCredential();
            case CredentialKind.ManagedIdentity:
                return new ManagedIdentityCredential(new ManagedIdentityCredentialOptions(
                    string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
                        ? ManagedIdentityId.SystemAssigned
                        : ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId))
                {
                    AuthorityHost = cloud.Authority,
                });
            case CredentialKind.AzureCli:
                return new AzureCliCredential(new AzureCliCredentialOptions { TenantId = options.TenantId, AuthorityHost = cloud.Authority });
            case CredentialKind.Default:
                return new DefaultAzureCredential(new DefaultAzureCredentialOptions
                {
                    AuthorityHost = cloud.Authority,
                    ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId,
                    TenantId = string.IsNullOrWhiteSpace(options.TenantId) ? null : options.TenantId,
                });
            default:
                throw new InvalidOperationException($"Azure:Credential '{options.Credential}' is not known. Use Default, ManagedIdentity, AzureCli or Simulator.");
        }
    }
}

/// <summary>
/// A fixed, unsigned JWT for loopback emulators only (the tenant simulator, Azurite with OAuth).
/// It is shaped like an Entra token (aud, iss, oid, exp) because Azurite's OAuth mode checks those claims.
/// </summary>
internal sealed class SimulatorCredential : TokenCredential
{
    public const string TenantId = "00000000-0000-0000-0000-0000000051a1";
    public const string ObjectId = "00000000-0000-0000-0000-0000005e1f00";

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => Issue(requestContext);

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => ValueTask.FromResult(Issue(requestContext));

    private static AccessToken Issue(TokenRequestContext context)
    {
        var scope = context.Scopes.FirstOrDefault() ?? "https://management.azure.com/.default";
        var audience = scope.EndsWith("/.default", StringComparison.Ordinal) ? scope[..^"/.default".Length] : scope;
        var now = DateTimeOffset.UtcNow;
        var expires = now.AddHours(1);
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "none", ["typ"] = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = audience,
            ["iss"] = $"https://sts.windows.net/{TenantId}/",
            ["tid"] = TenantId,
            ["oid"] = ObjectId,
            ["appid"] = ObjectId,
            ["sub"] = ObjectId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        }));
        return new AccessToken($"{header}.{payload}.", expires);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
