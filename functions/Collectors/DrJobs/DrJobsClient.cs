using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Collectors.Arm;
using Collectors.Evidence;

namespace Collectors.DrJobs;

/// <summary>
/// A Recovery Services vault's drill jobs through ARM: Site Recovery replication jobs (TestFailover and
/// TestFailoverCleanup scenarios) and Azure Backup restore jobs, each started in the window, records as returned.
/// </summary>
internal sealed class DrJobsClient(ArmRestClient arm)
{
    /// <summary>The latest stable Site Recovery version in azure-rest-api-specs (ReplicationJobs_List example).</summary>
    public const string ReplicationApiVersion = "2024-10-01";

    /// <summary>The latest stable Recovery Services Backup version whose BackupJobs_List example shows the filter used here.</summary>
    public const string BackupApiVersion = "2025-02-01";

    public static readonly IReadOnlyList<string> TestFailoverScenarios = ["TestFailover", "TestFailoverCleanup"];

    /// <summary>
    /// The Backup service's own filter grammar (BackupJobs_List example "ListJobsWithAllSupportedFilters",
    /// 2025-02-01): times as 'yyyy-MM-dd hh:mm:ss AM', UTC. Records are also checked against the window on the client.
    /// </summary>
    public static string BackupFilter(TimeWindow window) =>
        $"operation eq 'Restore' and startTime eq '{BackupTime(window.Start)}' and endTime eq '{BackupTime(window.End)}'";

    public Uri ReplicationJobsUrl(string vaultId) => new(arm.Endpoint, $"{vaultId.TrimStart('/')}/replicationJobs?api-version={ReplicationApiVersion}");

    public Uri BackupJobsUrl(string vaultId, TimeWindow window) =>
        new(arm.Endpoint, $"{vaultId.TrimStart('/')}/backupJobs?api-version={BackupApiVersion}&$filter={Uri.EscapeDataString(BackupFilter(window))}");

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadWindowAsync(string vaultId, TimeWindow window, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long otherScenarios = 0, outside = 0;
        var replication = ReplicationJobsUrl(vaultId);
        log.AddRequest(new SourceRequest("GET", replication.GetLeftPart(UriPartial.Path), ReplicationApiVersion, null));
        await foreach (var item in PagesAsync(replication, vaultId, log, cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(item);
            var properties = document.RootElement.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            if (properties.ValueKind != JsonValueKind.Object || !TestFailoverScenarios.Contains(Text(properties, "scenarioName") ?? string.Empty, StringComparer.OrdinalIgnoreCase))
            {
                otherScenarios++;
                continue;
            }

            if (!StartsIn(properties, window))
            {
                outside++;
                continue;
            }

            yield return item;
        }

        var backup = BackupJobsUrl(vaultId, window);
        log.AddRequest(new SourceRequest("GET", backup.GetLeftPart(UriPartial.Path), BackupApiVersion, BackupFilter(window)));
        long notRestore = 0;
        await foreach (var item in PagesAsync(backup, vaultId, log, cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(item);
            var properties = document.RootElement.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            if (properties.ValueKind != JsonValueKind.Object || !string.Equals(Text(properties, "operation"), "Restore", StringComparison.OrdinalIgnoreCase))
            {
                notRestore++;
                continue;
            }

            if (!StartsIn(properties, window))
            {
                outside++;
                continue;
            }

            yield return item;
        }

        log.Note = string.Create(CultureInfo.InvariantCulture,
            $"Site Recovery lists every job of the vault: only TestFailover and TestFailoverCleanup jobs whose startTime lies in the window are stored ({otherScenarios} job(s) of other scenarios left out). Backup jobs are asked for with the filter; {notRestore} returned job(s) that were not restores left out. {outside} job(s) starting outside the window left out (they belong to other windows).");
    }

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> PagesAsync(Uri url, string vaultId, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pages = arm.GetPagesAsync(url, log, "value", "nextLink", cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (pages.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await pages.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (ArmRequestException ex)
                {
                    throw Explain(ex, vaultId, url);
                }

                foreach (var item in pages.Current.Items)
                {
                    yield return item;
                }
            }
        }
    }

    private static bool StartsIn(JsonElement properties, TimeWindow window) =>
        Text(properties, "startTime") is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
        && at >= window.Start && at < window.End;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string BackupTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd hh:mm:ss tt", CultureInfo.InvariantCulture);

    private static EvidenceSourceException Explain(ArmRequestException ex, string vaultId, Uri url)
    {
        var what = url.AbsolutePath.EndsWith("/backupJobs", StringComparison.OrdinalIgnoreCase) ? "backupJobs" : "replicationJobs";
        return SourceFailure.Explain(ex, "ARM", $"the {what} of vault {vaultId}",
            $"the collector's identity needs the Reader role on the vault (action Microsoft.RecoveryServices/vaults/{what}/read)",
            "the vault does not exist or the identity cannot see it. Check Collectors__DrJobs__Vaults");
    }
}
