using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Collectors.Configuration;

/// <summary>Checks the Evidence section at start-up, naming the setting to fix.</summary>
internal sealed partial class EvidenceOptionsValidator : IValidateOptions<EvidenceOptions>
{
    public ValidateOptionsResult Validate(string? name, EvidenceOptions options)
    {
        var failures = new List<string>();
        var ways = new[] { !string.IsNullOrWhiteSpace(options.ConnectionString), options.BlobServiceUri is not null, options.ContainerSasUri is not null }.Count(x => x);
        if (ways == 0)
        {
            failures.Add("Evidence: no store configured. Set Evidence__BlobServiceUri (production, with a managed identity) or Evidence__ConnectionString (Azurite).");
        }
        else if (ways > 1)
        {
            failures.Add("Evidence: set exactly one of Evidence__ConnectionString, Evidence__BlobServiceUri or Evidence__ContainerSasUri.");
        }

        if (options.BlobServiceUri is { } uri && (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)))
        {
            failures.Add($"Evidence__BlobServiceUri '{uri}' must be an absolute https:// URL such as https://<account>.blob.core.windows.net/.");
        }

        foreach (var (key, value) in new[] { ("Evidence__Container", options.Container), ("Evidence__StateContainer", options.StateContainer) })
        {
            if (string.IsNullOrEmpty(value) || !ContainerName().IsMatch(value) || value.Contains("--", StringComparison.Ordinal))
            {
                failures.Add($"{key} '{value}' is not a valid container name: 3–63 characters of a–z, 0–9 and single hyphens, starting and ending with a letter or digit.");
            }
        }

        if (string.Equals(options.Container, options.StateContainer, StringComparison.Ordinal))
        {
            failures.Add("Evidence__Container and Evidence__StateContainer must differ: the state container is mutable, evidence is write-once.");
        }

        if (options.SigningKeyId is { } keyId)
        {
            try
            {
                Signing.KeyVaultSigner.Parse(keyId);
            }
            catch (Evidence.EvidenceStoreConfigurationException ex)
            {
                failures.Add(ex.Message);
            }
        }
        else if (options.BlobServiceUri is { } service && !Evidence.EvidenceStoreConnection.IsEmulatorEndpoint(service, null))
        {
            failures.Add("Evidence__SigningKeyId is not set: every manifest and record is signed with a Key Vault key, and outside the storage emulator there is no other. Set it to the key's URL (the deployment's EVIDENCE_SIGNING_KEY_ID output, e.g. https://<vault>.vault.azure.net/keys/evidence-signing).");
        }

        if (options.BlockSizeMiB is < 1 or > 100)
        {
            failures.Add($"Evidence__BlockSizeMiB {options.BlockSizeMiB} must be between 1 and 100.");
        }

        if (options.ImmutabilityDays is < 0 or > 146000)
        {
            failures.Add($"Evidence__ImmutabilityDays {options.ImmutabilityDays} must be between 0 (container default policy) and 146000.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}

/// <summary>Checks the Azure section at start-up.</summary>
public sealed class AzureOptionsValidator : IValidateOptions<AzureOptions>
{
    public ValidateOptionsResult Validate(string? name, AzureOptions options)
    {
        var failures = new List<string>();
        if (!AzureCloud.TryParse(options.Cloud, out _))
        {
            failures.Add($"Azure__Cloud '{options.Cloud}' is not known. Use one of: {string.Join(", ", AzureCloud.All.Select(c => c.Name))}.");
        }

        foreach (var (key, value) in new[] { ("Azure__ResourceManagerEndpoint", options.ResourceManagerEndpoint), ("Azure__GraphEndpoint", options.GraphEndpoint) })
        {
            if (value is not null && (!value.IsAbsoluteUri || value.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{key} '{value}' must be an absolute https:// URL.");
            }
        }

        if (options.Credential == CredentialKind.Simulator && failures.Count == 0)
        {
            var remote = new[] { options.ResolveResourceManagerEndpoint(), options.ResolveGraphEndpoint() }.Where(u => !u.IsLoopback).ToList();
            if (remote.Count > 0)
            {
                failures.Add($"Azure__Credential=Simulator sends a fixed fake token and is only allowed when every endpoint is on loopback; {string.Join(", ", remote)} is not. Set Azure__ResourceManagerEndpoint and Azure__GraphEndpoint to the simulator, or use Default, ManagedIdentity or AzureCli.");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.AdditionalTrustedCertificate))
        {
            try
            {
                TrustedTransport.LoadPem(options.AdditionalTrustedCertificate);
            }
            catch (InvalidOperationException ex)
            {
                failures.Add(ex.Message);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
