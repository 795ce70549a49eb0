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

    /// <summary>Retries of every ARM and Graph call (Azure.Core's policy: exponential, honours Retry-After).</summary>
    public HttpRetryOptions Retry { get; set; } = new();

    public AzureCloud ResolveCloud() =>
        AzureCloud.TryParse(Cloud, out var cloud)
            ? cloud
            : throw new InvalidOperationException($"Azure:Cloud '{Cloud}' is not known. Use one of: {string.Join(", ", AzureCloud.All.Select(c => c.Name))}.");

    public Uri ResolveResourceManagerEndpoint() => ResourceManagerEndpoint ?? ResolveCloud().ResourceManager;

    public Uri ResolveGraphEndpoint() => GraphEndpoint ?? ResolveCloud().Graph;
}

/// <summary>Section <c>Azure:Retry</c>.</summary>
public sealed class HttpRetryOptions
{
    public int MaxRetries { get; set; } = 8;

    /// <summary>First back-off when the service gives no Retry-After.</summary>
    public double DelaySeconds { get; set; } = 0.8;

    public double MaxDelaySeconds { get; set; } = 60;

    public double NetworkTimeoutSeconds { get; set; } = 100;

    /// <summary>How often one page is fetched again when its body is not valid JSON (cut short in transit).</summary>
    public int MalformedPageRetries { get; set; } = 5;
}

public enum CredentialKind
{
    Default,
    ManagedIdentity,
    AzureCli,
    Simulator,
}
