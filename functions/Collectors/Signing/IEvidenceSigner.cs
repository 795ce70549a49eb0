namespace Collectors.Signing;

/// <summary>Signs digests with the evidence key and vouches for that key's versions.</summary>
public interface IEvidenceSigner
{
    /// <summary>The key new signatures are made with.</summary>
    Task<SigningKey> CurrentKeyAsync(CancellationToken cancellationToken);

    /// <summary>An ES256 signature over a SHA-256 digest, naming the key version that made it.</summary>
    Task<EvidenceSignature> SignAsync(byte[] digest, CancellationToken cancellationToken);

    /// <summary>
    /// The public key for a key id this signer owns (any version of its Key Vault key, or its local key);
    /// null for any other key id. Writers trust nothing else: a key published into storage proves nothing.
    /// </summary>
    Task<SigningKey?> ResolveAsync(string kid, CancellationToken cancellationToken);
}

/// <summary>Chooses the signer: the configured Key Vault key, or, against the storage emulator only, a local key.</summary>
internal static class EvidenceSigners
{
    public static IEvidenceSigner Create(Configuration.EvidenceOptions evidence, Configuration.AzureOptions azure, Evidence.EvidenceStoreConnection connection, Azure.Core.TokenCredential credential)
    {
        if (evidence.SigningKeyId is { } keyId)
        {
            return new KeyVaultSigner(keyId, azure, credential);
        }

        if (connection.IsEmulator && connection.State is { } state)
        {
            return new LocalSigner(state);
        }

        throw new Evidence.EvidenceStoreConfigurationException(
            "Evidence__SigningKeyId is not set: every manifest and record is signed with a Key Vault key, and outside the storage emulator there is no other. Set it to the key's URL (the deployment's EVIDENCE_SIGNING_KEY_ID output).");
    }
}
