using System.Text.Json;
using Azure;
using Collectors.Signing;

namespace Collectors.Evidence;

/// <summary>
/// Signs every record the store writes (manifests, chain claims, error and rejection records, mail
/// records) with the deployment's signing key, and publishes that key's public half once into the
/// evidence container (<c>keys/&lt;thumbprint&gt;.key.json</c>) so an auditor with a read-only SAS can check.
/// </summary>
public sealed class EvidenceSealer(EvidenceStore store, IEvidenceSigner signer)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _published;

    /// <summary>Checks records against the keys this deployment's signer vouches for, and the earlier keys the operator names.</summary>
    public ISignatureCheck Check { get; } = new SignerKeyCheck(signer, store.Options.PreviousKeyThumbprints, store.Connection.Evidence);

    public IEvidenceSigner Signer => signer;

    public Task<byte[]> SealAsync<T>(T record, CancellationToken cancellationToken) =>
        SealAsync(JsonSerializer.SerializeToUtf8Bytes(record, EvidenceJson.Options), cancellationToken);

    public async Task<byte[]> SealAsync(byte[] unsigned, CancellationToken cancellationToken)
    {
        await PublishOnceAsync(cancellationToken).ConfigureAwait(false);
        var signature = await signer.SignAsync(SignedJson.Digest(unsigned), cancellationToken).ConfigureAwait(false);
        return SignedJson.Seal(unsigned, signature);
    }

    /// <summary>
    /// Signs a small JSON record and creates it write-once in the evidence container (legal hold where the
    /// container enforces WORM). Returns false when a record of that name was there already (it stands).
    /// </summary>
    public async Task<bool> CreateSignedAsync<T>(string name, T record, CancellationToken cancellationToken)
    {
        var readiness = await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var bytes = await SealAsync(record, cancellationToken).ConfigureAwait(false);
        try
        {
            await store.Connection.Evidence.GetBlobClient(name).UploadAsync(new BinaryData(bytes), store.CreateOnce(readiness, "application/json"), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>Publishes the current key once per process (write-once: a key already there stands).</summary>
    public async Task<SigningKey> PublishOnceAsync(CancellationToken cancellationToken)
    {
        var key = await signer.CurrentKeyAsync(cancellationToken).ConfigureAwait(false);
        if (_published == key.Thumbprint)
        {
            return key;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_published != key.Thumbprint)
            {
                var readiness = await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await store.Connection.Evidence.GetBlobClient(KeyPublication.BlobName(key.Thumbprint)).UploadAsync(
                        BinaryData.FromObjectAsJson(key, EvidenceJson.Options),
                        store.CreateOnce(readiness, "application/json"),
                        cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412)
                {
                    // Published before (by this or another process).
                }

                _published = key.Thumbprint;
            }

            return key;
        }
        finally
        {
            _gate.Release();
        }
    }
}
