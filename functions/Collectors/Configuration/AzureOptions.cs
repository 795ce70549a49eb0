namespace Collectors.Configuration;

/// <summary>How the suite reaches Azure: cloud, endpoints, credential and TLS trust. Section <c>Azure</c>.</summary>
public sealed class AzureOptions
{
    public const string SectionName = "Azure";

    /// <summary>AzurePublicCloud (default), AzureUSGovernment or AzureChinaCloud.</summary>
    public string Cloud { get; set; } = AzureCloud.Public.Name;

    /// <summary>Overrides the cloud's Resource Manager endpoint (sovereign clouds, the tenant simulator).</summary>
    public Uri? ResourceManagerEndpoint { get; set; }

    /// <summary>Overrides the cloud's Microsoft Graph endpoint.</summary>
    public Uri? GraphEndpoint { get; set; }

    /// <summary>Default, ManagedIdentity, AzureCli, or Simulator (a fixed token; loopback endpoints only).</summary>
    public CredentialKind Credential { get; set; } = CredentialKind.Default;

    /// <summary>Client id of a user-assigned managed identity (ManagedIdentity, Default).</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Tenant to authenticate against (optional).</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// Path to a PEM certificate trusted in addition to the system roots (a TLS-inspecting proxy, the
    /// tenant simulator). Certificate validation is never turned off.
    /// </summary>
    public string? AdditionalTrustedCertificate { get; set; }

    public AzureCloud ResolveCloud() =>
        AzureCloud.TryParse(Cloud, out var cloud)
            ? cloud
            : throw new InvalidOperationException($"Azure:Cloud '{Cloud}' is not known. Use one of: {string.Join(", ", AzureCloud.All.Select(c => c.Name))}.");

    public Uri ResolveResourceManagerEndpoint() => ResourceManagerEndpoint ?? ResolveCloud().ResourceManager;

    public Uri ResolveGraphEndpoint() => GraphEndpoint ?? ResolveCloud().Graph;
}

public enum CredentialKind
{
    Default,
    ManagedIdentity,
    AzureCli,
    Simulator,
}
