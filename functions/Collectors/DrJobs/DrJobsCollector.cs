using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.DrJobs;

/// <summary>
/// Collects each configured Recovery Services vault's test failovers and restores into its own stream
/// (<c>dr-jobs/vault-&lt;name&gt;-&lt;hash of the id&gt;</c>), window by window, on a timer or over a backfill range.
/// </summary>
public sealed partial class DrJobsCollector(DrJobsClient client, EvidenceWriter writer, IOptions<DrJobsOptions> options, TimeProvider time, ILogger<DrJobsCollector> logger)
{
    public const string Id = "dr-jobs";

    public static readonly IReadOnlyList<string> Criteria = ["A1.2", "A1.3"];

    private DrJobsOptions Options => options.Value;

    public WindowPlanner Planner => new(
        TimeSpan.FromMinutes(Options.WindowMinutes),
        TimeSpan.FromMinutes(Options.LagMinutes),
        Options.MaxWindowsPerRun,
        TimeSpan.FromHours(Options.FirstRunLookbackHours));

    /// <summary>The vault's name (readable) and 8 hex digits of the SHA-256 of its lower-case id (vault names repeat across resource groups).</summary>
    public static EvidenceStream StreamFor(string vaultId)
    {
        var id = vaultId.Trim().TrimEnd('/').ToLowerInvariant();
        var name = id[(id.LastIndexOf('/') + 1)..];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..8];
        return new EvidenceStream(Id, $"vault-{(name.Length > 60 ? name[..60] : name)}-{hash}");
    }

    /// <summary>The configured vaults, validated: /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}.</summary>
    public IReadOnlyList<string> Vaults()
    {
        if (Options.Vaults.Count == 0)
        {
            throw new ArgumentException("No Recovery Services vault is configured: set Collectors__DrJobs__Vaults__0 (and __1, …) to vault resource ids, e.g. /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.RecoveryServices/vaults/<name>.");
        }

        foreach (var vault in Options.Vaults.Where(v => !VaultId().IsMatch(v.Trim())))
        {
            throw new ArgumentException($"Collectors__DrJobs__Vaults contains '{vault}', which is not a Recovery Services vault resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.RecoveryServices/vaults/<name>).");
        }

        return [.. Options.Vaults.Select(v => v.Trim().TrimEnd('/')).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<CollectionRun> RunScheduledAsync(CancellationToken cancellationToken)
    {
        var results = new List<CommitResult>();
        var planner = Planner;
        var vaults = Vaults();
        foreach (var vault in vaults)
        {
            var checkpoint = await writer.ReadCheckpointAsync(StreamFor(vault), cancellationToken).ConfigureAwait(false);
            foreach (var window in planner.PlanRun(checkpoint.NextWindowStart, time.GetUtcNow()))
            {
                var result = await CommitAsync(vault, window, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                if (result.Status == CommitStatus.Failed)
                {
                    break;
                }
            }
        }

        var run = new CollectionRun(results);
        LogRun(logger, vaults.Count, run.Committed, run.AlreadyCommitted, run.Failed, run.Records);
        return run;
    }

    public IReadOnlyList<TimeWindow> PlanBackfill(DateTimeOffset from, DateTimeOffset to) => Planner.PlanBackfill(from, to, time.GetUtcNow());

    public async Task<CollectionRun> BackfillAsync(DateTimeOffset from, DateTimeOffset to, IProgress<CommitResult>? progress, CancellationToken cancellationToken)
    {
        var windows = PlanBackfill(from, to);
        var results = new List<CommitResult>();
        foreach (var vault in Vaults())
        {
            foreach (var window in windows)
            {
                var result = await CommitAsync(vault, window, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                progress?.Report(result);
            }
        }

        return new CollectionRun(results);
    }

    private Task<CommitResult> CommitAsync(string vault, TimeWindow window, CancellationToken cancellationToken) =>
        writer.CommitWindowAsync(
            new EvidenceBatch(Id, Criteria, StreamFor(vault), window),
            (log, ct) => client.ReadWindowAsync(vault, window, log, ct),
            cancellationToken);

    [GeneratedRegex("^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\\.RecoveryServices/vaults/[^/]+$", RegexOptions.IgnoreCase)]
    private static partial Regex VaultId();

    [LoggerMessage(Level = LogLevel.Information, Message = "DR jobs run over {Vaults} vaults: {Committed} windows committed, {Already} already committed, {Failed} failed, {Records} records")]
    private static partial void LogRun(ILogger logger, int vaults, int committed, int already, int failed, long records);
}
