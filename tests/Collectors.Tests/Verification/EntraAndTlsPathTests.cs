using System.Security.Authentication;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collectors.Tests.Verification;

/// <summary>
/// The account-URL-plus-Entra-credential path, for real: Azurite over HTTPS with its OAuth check on,
/// a certificate trusted only through Azure:AdditionalTrustedCertificate, and a bearer token on every call.
/// </summary>
[TestClass]
public sealed class EntraAndTlsPathTests
{
    private static LoopbackCertificate? s_certificate;
    private static AzuriteProcess? s_azurite;

    [ClassInitialize]
    public static void Start(TestContext context)
    {
        s_certificate = LoopbackCertificate.Create();
        s_azurite = AzuriteProcess.Start(s_certificate.CertificatePath, s_certificate.KeyPath, oauth: true);
    }

    [ClassCleanup]
    public static void Stop()
    {
        s_azurite?.Dispose();
        s_certificate?.Dispose();
    }

    private static AzureOptions TrustingSimulator() => new()
    {
        Credential = CredentialKind.Simulator,
        ResourceManagerEndpoint = new Uri("https://127.0.0.1:1/"),
        GraphEndpoint = new Uri("https://127.0.0.1:1/"),
        AdditionalTrustedCertificate = s_certificate!.CertificatePath,
    };

    [TestMethod]
    public async Task WritesWithAnEntraTokenAndVerifiesThroughTheAccountUrl()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var options = new EvidenceOptions { BlobServiceUri = s_azurite!.BlobEndpoint, Container = $"evidence-{suffix}", StateContainer = $"state-{suffix}", RequireImmutability = false };
        var azure = TrustingSimulator();
        var connection = EvidenceStoreConnection.Create(options, azure);
        var evidenceStore = new EvidenceStore(connection, options, NullLogger<EvidenceStore>.Instance);
        using var signer = new Collectors.Signing.LocalSigner(connection.State!);
        var writer = new EvidenceWriter(
            evidenceStore,
            new CheckpointStore(connection.State!, connection.Evidence, TimeProvider.System, NullLogger.Instance),
            new EvidenceSealer(evidenceStore, signer),
            TimeProvider.System,
            NullLogger<EvidenceWriter>.Instance);

        var first = await writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source(Records.Synthetic(20)), CancellationToken.None);
        var second = await writer.CommitWindowAsync(Records.Batch(Records.Window(1)), Records.Source(Records.Synthetic(20, seed: 1)), CancellationToken.None);
        Assert.AreEqual(CommitStatus.Committed, first.Status, first.Reason);
        Assert.AreEqual(CommitStatus.Committed, second.Status, second.Reason);
        var manifest = (await connection.Evidence.GetBlobClient(first.Manifest).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;
        Assert.AreEqual("Simulator", manifest.Identity.Credential);
        Assert.AreEqual(SimulatorCredential.ObjectId, manifest.Identity.ObjectId, "the manifest names the principal from the token's oid claim");

        var run = await CollectorsCommand.RunAsync(
            new Dictionary<string, string?>
            {
                ["Azure:Credential"] = "Simulator",
                ["Azure:ResourceManagerEndpoint"] = "https://127.0.0.1:1/",
                ["Azure:GraphEndpoint"] = "https://127.0.0.1:1/",
                ["Azure:AdditionalTrustedCertificate"] = s_certificate!.CertificatePath,
            },
            "verify", "--account-url", s_azurite.BlobEndpoint.ToString(), "--container", options.Container);

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "with Entra credential 'Simulator'");
        StringAssert.Contains(run.Output, "2 manifests");
    }

    [TestMethod]
    public async Task AnUntrustedCertificateIsRefusedAndTheExtraRootIsTrustedOnlyForItsOwnChain()
    {
        using var untrusting = new HttpClient(TrustedTransport.CreateHandler(null));
        using var trusting = new HttpClient(TrustedTransport.CreateHandler(s_certificate!.CertificatePath));
        var url = new Uri(s_azurite!.BlobEndpoint + "?comp=list");

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync(url));
        using var answered = await trusting.GetAsync(url);

        Assert.IsInstanceOfType<AuthenticationException>(refused.InnerException);
        Assert.AreEqual(System.Net.HttpStatusCode.Forbidden, answered.StatusCode, "TLS succeeded; Azurite's OAuth check then refuses a call without a token");
        using var otherCertificate = LoopbackCertificate.Create();
        using var trustingAnother = new HttpClient(TrustedTransport.CreateHandler(otherCertificate.CertificatePath));
        await Assert.ThrowsAsync<HttpRequestException>(() => trustingAnother.GetAsync(url));
    }

    [TestMethod]
    public async Task VerifyRefusesTheSimulatorCredentialForARealAccount()
    {
        var run = await CollectorsCommand.RunAsync(
            new Dictionary<string, string?> { ["Azure:Credential"] = "Simulator" },
            "verify", "--account-url", "https://stevidence.blob.core.windows.net/");

        Assert.AreEqual(2, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Error, "loopback");
    }
}
