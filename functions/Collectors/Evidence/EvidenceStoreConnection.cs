using Azure.Core;
using Azure.Storage.Blobs;
using Collectors.Configuration;

namespace Collectors.Evidence;

/// <summary>
/// The blob containers of one evidence store, reached one of three ways: a connection string (Azurite),
/// an account URL with an Entra credential (production), or a container SAS URL (an auditor, read-only).
/// </summary>
public sealed class EvidenceStoreConnection
{
    private EvidenceStoreConnection(BlobContainerClient evidence, BlobContainerClient? state, bool isEmulator, string how, TokenCredential? credential, CredentialKind? credentialKind)
    {
        Evidence = evidence;
        State = state;
        IsEmulator = isEmulator;
        How = how;
        Credential = credential;
        CredentialKind = credentialKind;
    }

    public BlobContainerClient Evidence { get; }

    /// <summary>The checkpoint container; null when connected through a container SAS (read-only).</summary>
    public BlobContainerClient? State { get; }

    /// <summary>True for Azurite / the storage emulator, which implements neither legal hold nor immutability policies.</summary>
    public bool IsEmulator { get; }

    /// <summary>How the store was reached, for logs and reports (never contains a secret).</summary>
    public string How { get; }

    public TokenCredential? Credential { get; }

    public CredentialKind? CredentialKind { get; }

    /// <param name="configure">Adjusts the blob client options (tests add pipeline policies that delay or fail requests).</param>
    public static EvidenceStoreConnection Create(EvidenceOptions evidence, AzureOptions azure, Func<IEnumerable<Uri>, TokenCredential>? credentialFactory = null, Action<BlobClientOptions>? configure = null)
    {
        var ways = new[] { evidence.ConnectionString is { Length: > 0 }, evidence.BlobServiceUri is not null, evidence.ContainerSasUri is not null }.Count(x => x);
        if (ways != 1)
        {
            throw new InvalidOperationException(ways == 0
                ? "No evidence store is configured. Set Evidence__BlobServiceUri (with an Entra credential), Evidence__ConnectionString (Azurite), or, to verify as an auditor, a container SAS URL (--sas-url)."
                : "More than one evidence store is configured. Set exactly one of Evidence__ConnectionString, Evidence__BlobServiceUri or a container SAS URL.");
        }

        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 5;
        options.Retry.Mode = Azure.Core.RetryMode.Exponential;
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(2);
        var transport = TrustedTransport.CreateAzureTransport(azure.AdditionalTrustedCertificate);
        if (transport is not null)
        {
            options.Transport = transport;
        }

        configure?.Invoke(options);

        if (evidence.ConnectionString is { Length: > 0 } connectionString)
        {
            var service = new BlobServiceClient(connectionString, options);
            var emulator = IsEmulatorEndpoint(service.Uri, service.AccountName);
            return new EvidenceStoreConnection(
                service.GetBlobContainerClient(evidence.Container),
                service.GetBlobContainerClient(evidence.StateContainer),
                emulator,
                $"connection string for account '{service.AccountName}' ({service.Uri.GetLeftPart(UriPartial.Authority)})",
                credential: null,
                credentialKind: null);
        }

        if (evidence.BlobServiceUri is { } serviceUri)
        {
            var factory = credentialFactory ?? (endpoints => CredentialFactory.Create(azure, endpoints));
            var credential = factory([serviceUri]);
            var service = new BlobServiceClient(serviceUri, credential, options);
            return new EvidenceStoreConnection(
                service.GetBlobContainerClient(evidence.Container),
                service.GetBlobContainerClient(evidence.StateContainer),
                IsEmulatorEndpoint(serviceUri, service.AccountName),
                $"{serviceUri.GetLeftPart(UriPartial.Authority)} with Entra credential '{azure.Credential}'",
                credential,
                azure.Credential);
        }

        var sasUri = evidence.ContainerSasUri!;
        if (string.IsNullOrEmpty(sasUri.Query) || !sasUri.Query.Contains("sig=", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The SAS URL has no signature (sig=…). Use the full container URL the evidence owner issued, including everything after '?'.");
        }

        var container = new BlobContainerClient(sasUri, options);
        return new EvidenceStoreConnection(
            container,
            state: null,
            IsEmulatorEndpoint(sasUri, container.AccountName),
            $"container SAS for {sasUri.GetLeftPart(UriPartial.Path)}",
            credential: null,
            credentialKind: null);
    }

    internal static bool IsEmulatorEndpoint(Uri endpoint, string? accountName) =>
        string.Equals(accountName, "devstoreaccount1", StringComparison.Ordinal) || endpoint.IsLoopback;
}
