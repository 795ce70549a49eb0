using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Collectors.Signing;

/// <summary>
/// The signer for the storage emulator only: an EC P-256 key generated once per store and kept in the
/// state container, so every process writing to that store signs with the same key. Anyone who can
/// read the state container can sign with it: every signature says so in its note, and the key's
/// custody says so when it is published. Production signs with a non-exportable Key Vault key.
/// </summary>
internal sealed class LocalSigner(BlobContainerClient state) : IEvidenceSigner, IDisposable
{
    public const string BlobName = "signing/local-es256.json";
    public const string Caveat = "local key kept in the emulator's state container: not protection, for trials only";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private ECDsa? _key;
    private SigningKey? _public;

    public async Task<SigningKey> CurrentKeyAsync(CancellationToken cancellationToken)
    {
        await EnsureKeyAsync(cancellationToken).ConfigureAwait(false);
        return _public!;
    }

    public async Task<EvidenceSignature> SignAsync(byte[] digest, CancellationToken cancellationToken)
    {
        await EnsureKeyAsync(cancellationToken).ConfigureAwait(false);
        var value = _key!.SignHash(digest);
        return new EvidenceSignature(EvidenceSignature.Es256, _public!.Kid, _public.Thumbprint, SignedJson.Base64Url(value), Caveat);
    }

    public async Task<SigningKey?> ResolveAsync(string kid, CancellationToken cancellationToken)
    {
        await EnsureKeyAsync(cancellationToken).ConfigureAwait(false);
        return kid == _public!.Kid ? _public : null;
    }

    private async Task EnsureKeyAsync(CancellationToken cancellationToken)
    {
        if (_public is not null)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_public is not null)
            {
                return;
            }

            await state.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var blob = state.GetBlobClient(BlobName);
            using (var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var record = JsonSerializer.SerializeToUtf8Bytes(new StoredKey(Convert.ToBase64String(fresh.ExportPkcs8PrivateKey())));
                try
                {
                    await blob.UploadAsync(new BinaryData(record), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412)
                {
                    // Another process made the store's key first: use theirs.
                }
            }

            var stored = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToObjectFromJson<StoredKey>()
                ?? throw new InvalidDataException($"The local signing key {state.Name}/{BlobName} is empty.");
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(Convert.FromBase64String(stored.Pkcs8), out _);
            var parameters = key.ExportParameters(includePrivateParameters: false);
            var thumbprint = SigningKey.ComputeThumbprint("P-256", SignedJson.Base64Url(parameters.Q.X!), SignedJson.Base64Url(parameters.Q.Y!));
            _public = SigningKey.FromParameters(EvidenceSignature.LocalKidPrefix + thumbprint, parameters, Caveat);
            _key = key;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _key?.Dispose();
        _gate.Dispose();
    }

    private sealed record StoredKey(string Pkcs8);
}
