using System.Text.Json;
using Azure.Storage.Blobs;

namespace Collectors.Signing;

/// <summary>Why a signature check failed.</summary>
public enum SignatureFailure
{
    None,

    /// <summary>No signature, or one that cannot be read.</summary>
    Missing,

    /// <summary>Signed by a key the checker does not trust (unknown, unpublished, or not pinned).</summary>
    Untrusted,

    /// <summary>The signature does not match the bytes: altered after signing, or forged.</summary>
    Invalid,
}

/// <summary>What checking one stored record's signature found: the key that made it, or the problem.</summary>
public readonly record struct SignatureCheckResult(string? Kid, string? Thumbprint, string? Problem, SignatureFailure Failure = SignatureFailure.None)
{
    public bool Valid => Problem is null;

    public static SignatureCheckResult Fail(SignatureFailure failure, string problem, EvidenceSignature? signature = null) => new(signature?.Kid, signature?.Thumbprint, problem, failure);
}

/// <summary>Checks that a stored record is signed, unaltered, by a key the caller trusts.</summary>
public interface ISignatureCheck
{
    Task<SignatureCheckResult> CheckAsync(ReadOnlyMemory<byte> stored, CancellationToken cancellationToken);
}

/// <summary>Shared by every check: open the record, find the key, verify.</summary>
internal abstract class SignatureCheckBase : ISignatureCheck
{
    public async Task<SignatureCheckResult> CheckAsync(ReadOnlyMemory<byte> stored, CancellationToken cancellationToken)
    {
        var opened = SignedJson.Open(stored.Span);
        if (!opened.Signed)
        {
            return SignatureCheckResult.Fail(SignatureFailure.Missing, opened.Problem!);
        }

        var signature = opened.Signature!;
        var key = await FindKeyAsync(signature.Kid, signature.Thumbprint, cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            return SignatureCheckResult.Fail(SignatureFailure.Untrusted, $"signed by key {signature.Kid} ({signature.Thumbprint}), which {UnknownKey}", signature);
        }

        if (key.Thumbprint != signature.Thumbprint || key.Kid != signature.Kid)
        {
            return SignatureCheckResult.Fail(SignatureFailure.Invalid, $"the signature names key {signature.Kid} ({signature.Thumbprint}), but that key is {key.Kid} ({key.Thumbprint})", signature);
        }

        return key.Verifies(opened.Canonical, signature)
            ? new SignatureCheckResult(signature.Kid, key.Thumbprint, null)
            : SignatureCheckResult.Fail(SignatureFailure.Invalid, $"the signature by {signature.Kid} does not match the record's bytes: the record was altered after it was signed, or forged", signature);
    }

    /// <summary>How to say a key id was not found, for the problem text.</summary>
    protected abstract string UnknownKey { get; }

    /// <summary>The trusted key a signature names (by key id and thumbprint), or null.</summary>
    protected abstract Task<SigningKey?> FindKeyAsync(string kid, string thumbprint, CancellationToken cancellationToken);
}

/// <summary>
/// The writer's check: only keys its own signer vouches for (Key Vault versions of its key, or its local
/// key), and earlier keys the operator names by thumbprint (<c>Evidence__PreviousKeyThumbprints__N</c>,
/// after moving the key to another vault or name), read from their published records.
/// </summary>
internal sealed class SignerKeyCheck(IEvidenceSigner signer, IReadOnlyCollection<string>? previousThumbprints = null, BlobContainerClient? evidence = null) : SignatureCheckBase
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SigningKey?> _previous = new(StringComparer.Ordinal);

    protected override string UnknownKey => "is not a version of this deployment's signing key (Evidence__SigningKeyId) nor one of Evidence__PreviousKeyThumbprints";

    protected override async Task<SigningKey?> FindKeyAsync(string kid, string thumbprint, CancellationToken cancellationToken)
    {
        if (await signer.ResolveAsync(kid, cancellationToken).ConfigureAwait(false) is { } own)
        {
            return own;
        }

        if (previousThumbprints is null || evidence is null || !previousThumbprints.Contains(thumbprint))
        {
            return null;
        }

        if (_previous.TryGetValue(thumbprint, out var cached))
        {
            return cached;
        }

        SigningKey? key = null;
        try
        {
            var data = (await evidence.GetBlobClient(KeyPublication.BlobName(thumbprint)).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            using var document = JsonDocument.Parse(data);
            var published = SigningKey.FromJwk(document.RootElement);
            key = published.Thumbprint == thumbprint ? published : null;
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or JsonException or FormatException)
        {
            // Not published, or not a key: nothing to trust.
        }

        return _previous.GetOrAdd(thumbprint, key);
    }
}

/// <summary>
/// The auditor's check: the public keys published in the evidence container (<c>keys/*.key.json</c>),
/// optionally narrowed to thumbprints the auditor pins (from the deployment's output), because anyone
/// who can write to storage can also publish a key.
/// </summary>
internal sealed class PublishedKeyCheck : SignatureCheckBase
{
    private readonly IReadOnlyDictionary<string, SigningKey> _byThumbprint;
    private readonly IReadOnlySet<string>? _trusted;

    private PublishedKeyCheck(IReadOnlyDictionary<string, SigningKey> byThumbprint, IReadOnlyList<string> unreadable, IReadOnlySet<string>? trusted)
    {
        _byThumbprint = byThumbprint;
        _trusted = trusted;
        Unreadable = unreadable;
        Keys = [.. byThumbprint.Values.OrderBy(k => k.Kid, StringComparer.Ordinal)];
    }

    /// <summary>Every published key that was readable, once per thumbprint.</summary>
    public IReadOnlyList<SigningKey> Keys { get; }

    /// <summary>Published key blobs that are not EC P-256 keys stored under their own thumbprint, with why.</summary>
    public IReadOnlyList<string> Unreadable { get; }

    public bool Pinned => _trusted is not null;

    protected override string UnknownKey => _trusted is null
        ? "is not published in the container (keys/<thumbprint>.key.json)"
        : "is not published in the container, or its thumbprint is not one of the trusted keys given (--trusted-key)";

    public static async Task<PublishedKeyCheck> LoadAsync(BlobContainerClient evidence, IReadOnlyCollection<string>? trustedThumbprints, CancellationToken cancellationToken)
    {
        var byThumbprint = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
        var unreadable = new List<string>();
        await foreach (var item in evidence.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = KeyPublication.Prefix }, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var data = (await evidence.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
                using var document = JsonDocument.Parse(data);
                var key = SigningKey.FromJwk(document.RootElement);
                if (item.Name != KeyPublication.BlobName(key.Thumbprint))
                {
                    // A key is found by its thumbprint: one stored under another name could shadow it.
                    unreadable.Add($"{item.Name}: holds the key with thumbprint {key.Thumbprint}, so it should be named {KeyPublication.BlobName(key.Thumbprint)}");
                    continue;
                }

                byThumbprint.TryAdd(key.Thumbprint, key);
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                unreadable.Add($"{item.Name}: not an EC P-256 key ({ex.Message})");
            }
        }

        foreach (var kid in byThumbprint.Values.GroupBy(k => k.Kid).Where(g => g.Count() > 1))
        {
            unreadable.Add($"key id {kid.Key} is published with {kid.Count()} different keys ({string.Join(", ", kid.Select(k => k.Thumbprint))}): only a pinned thumbprint tells which is genuine");
        }

        var trusted = trustedThumbprints is { Count: > 0 } ? new HashSet<string>(trustedThumbprints, StringComparer.Ordinal) : null;
        return new PublishedKeyCheck(byThumbprint, unreadable, trusted);
    }

    protected override Task<SigningKey?> FindKeyAsync(string kid, string thumbprint, CancellationToken cancellationToken) =>
        Task.FromResult(_byThumbprint.TryGetValue(thumbprint, out var key) && (_trusted is null || _trusted.Contains(key.Thumbprint)) ? key : null);
}

/// <summary>Where public keys are published in the evidence container.</summary>
internal static class KeyPublication
{
    public const string Prefix = "keys/";

    public static string BlobName(string thumbprint) => $"{Prefix}{thumbprint}.key.json";
}
