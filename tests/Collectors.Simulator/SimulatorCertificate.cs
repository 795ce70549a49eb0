using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Collectors.Simulator;

/// <summary>
/// A self-signed certificate for 127.0.0.1 and localhost, generated at start and written out as PEM so
/// clients trust it through Azure__AdditionalTrustedCertificate (never by turning validation off).
/// </summary>
public static class SimulatorCertificate
{
    public static X509Certificate2 Create(string pemPath)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Collectors tenant simulator", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(7));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pemPath))!);
        File.WriteAllText(pemPath, created.ExportCertificatePem());

        // Kestrel needs the private key in a form the platform's TLS stack accepts: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
