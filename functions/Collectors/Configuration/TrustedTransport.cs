using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;

namespace Collectors.Configuration;

/// <summary>
/// HTTP handlers that trust the system roots plus, optionally, one extra PEM certificate
/// (<c>Azure:AdditionalTrustedCertificate</c>). Validation is never switched off: a certificate that
/// fails the system check is accepted only if it chains to the extra certificate and matches the host.
/// </summary>
internal static class TrustedTransport
{
    public static SocketsHttpHandler CreateHandler(string? additionalTrustedCertificatePath)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        if (string.IsNullOrWhiteSpace(additionalTrustedCertificatePath))
        {
            return handler;
        }

        var extraRoots = LoadPem(additionalTrustedCertificatePath);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                Validate(certificate as X509Certificate2, chain, errors, extraRoots),
        };
        return handler;
    }

    /// <summary>An Azure SDK transport over <see cref="CreateHandler"/>; null when no extra trust is configured.</summary>
    public static HttpClientTransport? CreateAzureTransport(string? additionalTrustedCertificatePath) =>
        string.IsNullOrWhiteSpace(additionalTrustedCertificatePath)
            ? null
            : new HttpClientTransport(new HttpClient(CreateHandler(additionalTrustedCertificatePath), disposeHandler: true));

    internal static X509Certificate2Collection LoadPem(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Azure:AdditionalTrustedCertificate points to '{path}', which does not exist. Give the path of a PEM certificate file, or remove the setting.");
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"Azure:AdditionalTrustedCertificate '{path}' is not a PEM certificate ({ex.Message}). Give a file with a '-----BEGIN CERTIFICATE-----' block.", ex);
        }

        if (certificates.Count == 0)
        {
            throw new InvalidOperationException(
                $"Azure:AdditionalTrustedCertificate '{path}' holds no certificate. Give a file with a '-----BEGIN CERTIFICATE-----' block.");
        }

        return certificates;
    }

    internal static bool Validate(X509Certificate2? certificate, X509Chain? presentedChain, SslPolicyErrors errors, X509Certificate2Collection extraRoots)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // Only chain errors may be rescued by the extra root; a name mismatch or no certificate never is.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(extraRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }
}
