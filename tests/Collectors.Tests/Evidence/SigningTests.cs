using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Signing;
using Collectors.Simulator;
using Collectors.Tests.Infrastructure;
using Collectors.Verification;

namespace Collectors.Tests.Evidence;

[TestClass]
public sealed class SigningTests
{
    private static readonly byte[] Record = Encoding.UTF8.GetBytes("{\n  \"schema\": \"collectors.error/v1\",\n  \"reason\": \"a } brace and ,\\\"signature\\\": text inside a string\"\n}");

    private static EvidenceSignature Signature(ECDsa key, byte[] canonical, string kid = "local:test") =>
        new(EvidenceSignature.Es256, kid, SigningKey.FromParameters(kid, key.ExportParameters(false), null).Thumbprint, SignedJson.Base64Url(key.SignHash(SignedJson.Digest(canonical))));

    [TestMethod]
    public void ASealedRecordOpensToItsExactBytesAndVerifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = Signature(key, Record);

        var sealedBytes = SignedJson.Seal(Record, signature);
        var opened = SignedJson.Open(sealedBytes);

        Assert.IsTrue(opened.Signed, opened.Problem);
        CollectionAssert.AreEqual(Record, opened.Canonical, "the canonical bytes are the record exactly as it was before sealing");
        Assert.IsTrue(SigningKey.FromParameters("local:test", key.ExportParameters(false), null).Verifies(opened.Canonical, opened.Signature!));
        using var document = JsonDocument.Parse(sealedBytes);
        Assert.AreEqual("ES256", document.RootElement.GetProperty("signature").GetProperty("alg").GetString(), "the sealed record is still one JSON object");
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(Record)), SignedJson.ChainHash(sealedBytes), "a chain link is the digest the signature signs");
    }

    /// <summary>The rule docs/evidence-format.md gives auditors, applied as text, finds the same canonical bytes.</summary>
    [TestMethod]
    public void TheDocumentedTextRuleGivesTheCanonicalBytes()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var sealedBytes = SignedJson.Seal(Record, Signature(key, Record));

        var text = Encoding.UTF8.GetString(sealedBytes);
        var at = text.LastIndexOf(",\"signature\":{", StringComparison.Ordinal);
        var close = text.IndexOf('}', at);
        var canonical = text[..at] + text[(close + 1)..];

        Assert.AreEqual(Encoding.UTF8.GetString(Record), canonical);
    }

    [TestMethod]
    public void AnyChangedByteOrAForeignKeyFailsTheCheck()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signingKey = SigningKey.FromParameters("local:test", key.ExportParameters(false), null);
        var sealedBytes = SignedJson.Seal(Record, Signature(key, Record));

        var altered = (byte[])sealedBytes.Clone();
        altered[Array.IndexOf(altered, (byte)'a')] = (byte)'b';
        var byOther = SignedJson.Seal(Record, Signature(other, Record));
        var unsigned = SignedJson.Open(Record);

        Assert.IsFalse(signingKey.Verifies(SignedJson.Open(altered).Canonical, SignedJson.Open(altered).Signature!));
        Assert.IsFalse(signingKey.Verifies(SignedJson.Open(byOther).Canonical, SignedJson.Open(byOther).Signature!));
        Assert.IsFalse(unsigned.Signed);
        StringAssert.Contains(unsigned.Problem, "no signature");
        Assert.ThrowsExactly<ArgumentException>(() => SignedJson.Seal(sealedBytes, Signature(key, sealedBytes)), "a record is sealed once");
    }

    [TestMethod]
    public void TheThumbprintIsRfc7638()
    {
        // RFC 7638 §3.1 defines the member order (crv, kty, x, y) and no whitespace; the value here is computed independently.
        var x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
        var y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
        var expected = SignedJson.Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}")));

        Assert.AreEqual(expected, SigningKey.ComputeThumbprint("P-256", x, y));
        Assert.AreEqual(43, expected.Length);
    }

    /// <summary>The Key Vault signer over real HTTPS against the simulator's Key Vault: sign, verify with the published key, resolve versions.</summary>
    [TestMethod]
    public async Task TheKeyVaultSignerSignsThroughTheRestApiAndVouchesOnlyForItsOwnKey()
    {
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        var azure = new AzureOptions { Credential = CredentialKind.Simulator, ResourceManagerEndpoint = simulator.BaseUri, GraphEndpoint = simulator.BaseUri, AdditionalTrustedCertificate = simulator.CertificatePath };
        var signer = new KeyVaultSigner(simulator.SigningKeyId, azure, new SimulatorCredential());
        var check = new SignerKeyCheck(signer);

        var key = await signer.CurrentKeyAsync(CancellationToken.None);
        var signature = await signer.SignAsync(SignedJson.Digest(Record), CancellationToken.None);
        var sealedBytes = SignedJson.Seal(Record, signature);
        var before = await check.CheckAsync(sealedBytes, CancellationToken.None);
        using var http = new HttpClient(TrustedTransport.CreateHandler(simulator.CertificatePath));
        await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(simulator.BaseUri, "_simulator/keys/evidence-signing/rotate")) { Headers = { { "Authorization", "Bearer test" } } });
        var afterRotation = await check.CheckAsync(sealedBytes, CancellationToken.None);
        var foreign = await signer.ResolveAsync("https://another-vault.vault.azure.net/keys/evidence-signing/0123", CancellationToken.None);

        StringAssert.StartsWith(key.Kid, simulator.SigningKeyId + "/", "the kid names the key version");
        Assert.AreEqual(KeyVaultSigner.Custody, key.Custody);
        Assert.IsTrue(before.Valid, before.Problem);
        Assert.AreEqual(key.Thumbprint, before.Thumbprint);
        Assert.IsTrue(afterRotation.Valid, "a signature by an older version still verifies after the key is rotated: " + afterRotation.Problem);
        Assert.IsNull(foreign, "a key in another vault is not this deployment's");
        Assert.AreEqual(1, simulator.KeyVault.Signed);
    }

    [TestMethod]
    public async Task ARefusedSignNamesTheRoleItNeeds()
    {
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions { RefuseSign = true });
        var azure = new AzureOptions { Credential = CredentialKind.Simulator, ResourceManagerEndpoint = simulator.BaseUri, GraphEndpoint = simulator.BaseUri, AdditionalTrustedCertificate = simulator.CertificatePath, Retry = new HttpRetryOptions { MaxRetries = 0 } };
        var signer = new KeyVaultSigner(simulator.SigningKeyId, azure, new SimulatorCredential());

        var ex = await Assert.ThrowsExactlyAsync<EvidenceSourceException>(() => signer.SignAsync(new byte[32], CancellationToken.None));

        Assert.AreEqual(403, ex.HttpStatus);
        StringAssert.Contains(ex.Message, "Collectors Evidence Signer");
        StringAssert.Contains(ex.Message, "keys/sign");
    }

    /// <summary>Evidence written with the Key Vault key (through the simulator) verifies with the key the writer published, pinned.</summary>
    [TestMethod]
    public async Task EvidenceSignedInKeyVaultVerifiesAgainstThePublishedPinnedKey()
    {
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        await using var store = TestStore.Create();
        var azure = new AzureOptions { Credential = CredentialKind.Simulator, ResourceManagerEndpoint = simulator.BaseUri, GraphEndpoint = simulator.BaseUri, AdditionalTrustedCertificate = simulator.CertificatePath };
        var signer = new KeyVaultSigner(simulator.SigningKeyId, azure, new SimulatorCredential());
        var writer = store.NewWriter(store.Connection, signer: signer);
        foreach (var i in new[] { 0, 1, 2 })
        {
            var result = await writer.CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(5, seed: i)), CancellationToken.None);
            Assert.AreEqual(CommitStatus.Committed, result.Status, result.Reason);
        }

        var thumbprint = (await signer.CurrentKeyAsync(CancellationToken.None)).Thumbprint;
        var run = await CollectorsCommand.RunAsync("verify", "--json", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container, "--trusted-key", thumbprint);

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        var report = JsonSerializer.Deserialize<VerificationReport>(run.Output, EvidenceJson.Options)!;
        var published = report.Keys.Single();
        Assert.AreEqual(thumbprint, published.Thumbprint);
        Assert.AreEqual(3, published.Signed, "three manifests");
        Assert.AreEqual(KeyVaultSigner.Custody, published.Custody);
    }

    /// <summary>
    /// Azurite keeps no versions, so the overwrite and deletion cases are shown on the listing the
    /// service returns on a versioned account (built with the SDK's model factory): not run against Azure here.
    /// </summary>
    [TestMethod]
    public void ABlobWithASecondVersionOrNoCurrentVersionIsReported()
    {
        var name = EvidencePaths.Manifest(Records.Stream, Records.Window(0));
        BlobItem Version(string id, bool latest) => BlobsModelFactory.BlobItem(name: name, versionId: id, isLatestVersion: latest);

        var once = EvidenceVerifier.VersionProblems(name, [Version("v1", true)]).ToList();
        var overwritten = EvidenceVerifier.VersionProblems(name, [Version("v1", false), Version("v2", true)]).Single();
        var deleted = EvidenceVerifier.VersionProblems(name, [Version("v1", false)]).Single();
        var emulator = EvidenceVerifier.VersionProblems(name, [BlobsModelFactory.BlobItem(name: name)]).ToList();

        Assert.IsEmpty(once);
        Assert.IsEmpty(emulator, "a store without versioning lists one blob with no version: nothing to report");
        Assert.AreEqual(ProblemKinds.BlobOverwritten, overwritten.Kind);
        StringAssert.Contains(overwritten.Detail, "v1, v2");
        Assert.AreEqual(Records.Stream.Name, overwritten.Stream);
        Assert.AreEqual(ProblemKinds.BlobDeleted, deleted.Kind);
    }
}
