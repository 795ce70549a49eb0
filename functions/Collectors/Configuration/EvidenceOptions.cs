namespace Collectors.Configuration;

/// <summary>Where evidence is written. Section <c>Evidence</c>.</summary>
public sealed class EvidenceOptions
{
    public const string SectionName = "Evidence";

    /// <summary>A storage connection string. Meant for Azurite; production uses <see cref="BlobServiceUri"/> and an Entra credential.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The evidence account's blob endpoint, e.g. https://stevidence.blob.core.windows.net/.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>A container SAS URL (read-only auditors). Used by <c>collectors verify</c>; writers refuse it.</summary>
    public Uri? ContainerSasUri { get; set; }

    /// <summary>
    /// The evidence account's ARM resource id (the deployment's EVIDENCE_ACCOUNT_ID output), used by
    /// <c>collectors auditor revoke</c> to revoke the account's user delegation keys.
    /// </summary>
    public string? AccountResourceId { get; set; }

    /// <summary>The write-once evidence container.</summary>
    public string Container { get; set; } = "evidence";

    /// <summary>The mutable container for checkpoints (never evidence).</summary>
    public string StateContainer { get; set; } = "collector-state";

    /// <summary>
    /// Refuse to write when the container does not enforce version-level immutability. Defaults to true,
    /// except against the storage emulator, where it defaults to false (Azurite has no legal hold).
    /// </summary>
    public bool? RequireImmutability { get; set; }

    /// <summary>Set a legal hold on every evidence blob (content and manifest) when the container supports it.</summary>
    public bool LegalHold { get; set; } = true;

    /// <summary>
    /// Optional per-blob time-based retention in days, on top of the container's default policy.
    /// 0 leaves the container default policy in charge.
    /// </summary>
    public int ImmutabilityDays { get; set; }

    /// <summary>
    /// The Key Vault key that signs every manifest and record, e.g.
    /// https://kv-collectors.vault.azure.net/keys/evidence-signing (the deployment's EVIDENCE_SIGNING_KEY_ID).
    /// Required outside the storage emulator; against the emulator a local key is used when it is not set.
    /// </summary>
    public Uri? SigningKeyId { get; set; }

    /// <summary>
    /// Thumbprints of earlier signing keys whose records writers keep trusting (after the key moved to
    /// another vault or name; versions of the current key need nothing here). Their public keys must be
    /// published in the evidence container (keys/&lt;thumbprint&gt;.key.json), which the writer did when it used them.
    /// </summary>
    public List<string> PreviousKeyThumbprints { get; set; } = [];

    /// <summary>Size of the blocks staged while streaming content, in MiB (1–100).</summary>
    public int BlockSizeMiB { get; set; } = 4;
}
