using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Collectors.Evidence;
using Collectors.Runtime;
using Microsoft.Extensions.Options;

namespace Collectors.DrJobs;

/// <summary>
/// Each configured Recovery Services vault's test failovers and restores, one stream per vault
/// (<c>dr-jobs/vault-&lt;name&gt;-&lt;hash of the id&gt;</c>); the runtime cuts it into windows.
/// </summary>
internal sealed partial class DrJobsCollector(DrJobsClient client, IOptions<DrJobsOptions> options) : IWindowedCollector
{
    public const string Id = "dr-jobs";

    string ICollector.Id => Id;

    /// <summary>The vault's name (readable) and 8 hex digits of the SHA-256 of its lower-case id (vault names repeat across resource groups).</summary>
    public static EvidenceStream StreamFor(string vaultId)
    {
        var id = vaultId.Trim().TrimEnd('/').ToLowerInvariant();
        var name = id[(id.LastIndexOf('/') + 1)..];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..8];
        return new EvidenceStream(Id, $"vault-{(name.Length > 60 ? name[..60] : name)}-{hash}");
    }

    /// <summary>The configured vaults (or <paramref name="only"/>), validated: /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}.</summary>
    public Task<IReadOnlyList<CollectorStream>> StreamsAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var vaults = only is { Count: > 0 } ? only : options.Value.Vaults;
        if (vaults.Count == 0)
        {
            throw new ArgumentException("No Recovery Services vault is configured: set Collectors__DrJobs__Vaults__0 (and __1, …) to vault resource ids, e.g. /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.RecoveryServices/vaults/<name>.");
        }

        foreach (var vault in vaults.Where(v => !VaultId().IsMatch(v.Trim())))
        {
            throw new ArgumentException($"Collectors__DrJobs__Vaults contains '{vault}', which is not a Recovery Services vault resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.RecoveryServices/vaults/<name>).");
        }

        IReadOnlyList<CollectorStream> streams = [.. vaults.Select(v => v.Trim().TrimEnd('/')).Distinct(StringComparer.OrdinalIgnoreCase).Select(v => new CollectorStream(StreamFor(v), v))];
        return Task.FromResult(streams);
    }

    public Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken) =>
        VaultId().IsMatch(key)
            ? Task.FromResult(new CollectorStream(StreamFor(key), key))
            : throw new ArgumentException($"'{key}' is not a Recovery Services vault resource id.");

    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CollectorStream stream, TimeWindow window, SourceLog log, CancellationToken cancellationToken) =>
        client.ReadWindowAsync(stream.Key, window, log, cancellationToken);

    [GeneratedRegex("^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\\.RecoveryServices/vaults/[^/]+$", RegexOptions.IgnoreCase)]
    private static partial Regex VaultId();
}
