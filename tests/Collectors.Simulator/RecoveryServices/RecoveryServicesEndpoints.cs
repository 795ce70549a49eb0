using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Collectors.Simulator.Arm;
using Collectors.Simulator.Scenario;

namespace Collectors.Simulator.RecoveryServices;

/// <summary>One job of a vault, as the simulator plants it.</summary>
public sealed record VaultJob(string Name, bool Replication, string Operation, string State, DateTimeOffset Start, DateTimeOffset? End, string Target);

/// <summary>
/// A Recovery Services vault's jobs, shaped like the published examples: GET {vault}/replicationJobs
/// (api-version 2024-10-01, every job of the vault, nextLink paging; ReplicationJobs_List) and GET
/// {vault}/backupJobs (api-version 2025-02-01, $filter on operation/startTime/endTime; BackupJobs_List).
/// Each day of the scenario holds a passing test failover and its cleanup, a registration job, a backup and
/// a passing restore; planted: a failed test failover (first day 10:15), a test failover still in progress
/// (second day 14:30), a failed restore (first day 16:45) and a cancelled restore (second day 20:05).
/// </summary>
public static partial class RecoveryServicesEndpoints
{
    public const string ReplicationApiVersion = "2024-10-01";
    public const string BackupApiVersion = "2025-02-01";
    public const int PageSize = 3;

    public static IReadOnlyList<VaultJob> Jobs(TenantScenario scenario)
    {
        var jobs = new List<VaultJob>();
        for (var day = 0; day < scenario.Options.Days; day++)
        {
            var d = scenario.Options.DataStart.AddDays(day);
            jobs.Add(new($"tfo-{day}", true, "TestFailover", "Succeeded", d.AddHours(2).AddMinutes(10), d.AddHours(2).AddMinutes(31), "vm-web-01"));
            jobs.Add(new($"tfoc-{day}", true, "TestFailoverCleanup", "Succeeded", d.AddHours(2).AddMinutes(40), d.AddHours(2).AddMinutes(44), "vm-web-01"));
            jobs.Add(new($"dra-{day}", true, "RegisterDra", "Succeeded", d.AddHours(6).AddMinutes(5), d.AddHours(6).AddMinutes(6), "dra-host"));
            jobs.Add(new($"bkp-{day}", false, "Backup", "Completed", d.AddHours(3), d.AddHours(3).AddMinutes(12), "vm-db-01"));
            jobs.Add(new($"rst-{day}", false, "Restore", "Completed", d.AddHours(4).AddMinutes(20), d.AddHours(4).AddMinutes(50), "vm-db-01"));
        }

        var first = scenario.Options.DataStart;
        jobs.Add(new("tfo-failed", true, "TestFailover", "Failed", first.AddHours(10).AddMinutes(15), first.AddHours(10).AddMinutes(40), "vm-pay-02"));
        jobs.Add(new("rst-failed", false, "Restore", "Failed", first.AddHours(16).AddMinutes(45), first.AddHours(17), "vm-files-01"));
        if (scenario.Options.Days > 1)
        {
            var second = first.AddDays(1);
            jobs.Add(new("tfo-stuck", true, "TestFailover", "InProgress", second.AddHours(14).AddMinutes(30), null, "vm-pay-03"));
            jobs.Add(new("rst-cancelled", false, "Restore", "Cancelled", second.AddHours(20).AddMinutes(5), second.AddHours(20).AddMinutes(9), "vm-db-02"));
        }

        return [.. jobs.OrderByDescending(j => j.Start)];
    }

    public static async Task ReplicationJobsAsync(HttpContext context, string subscriptionId, string resourceGroup, string vault, TenantScenario scenario)
    {
        if (!await AdmitAsync(context, subscriptionId, vault, scenario, ReplicationApiVersion, "replicationJobs"))
        {
            return;
        }

        var all = Jobs(scenario).Where(j => j.Replication).ToList();
        var skip = int.TryParse(context.Request.Query["$skiptoken"], CultureInfo.InvariantCulture, out var s) ? s : 0;
        var vaultId = $"/Subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.RecoveryServices/vaults/{vault}";
        var page = all.Skip(skip).Take(PageSize).Select(j => Replication(vaultId, j)).ToList();
        string? next = skip + PageSize < all.Count
            ? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}?api-version={ReplicationApiVersion}&$skiptoken={skip + PageSize}"
            : null;
        await WriteAsync(context, page, next);
    }

    public static async Task BackupJobsAsync(HttpContext context, string subscriptionId, string resourceGroup, string vault, TenantScenario scenario)
    {
        if (!await AdmitAsync(context, subscriptionId, vault, scenario, BackupApiVersion, "backupJobs"))
        {
            return;
        }

        IEnumerable<VaultJob> jobs = Jobs(scenario).Where(j => !j.Replication);
        var filter = context.Request.Query["$filter"].ToString();
        if (filter.Length > 0)
        {
            foreach (var clause in filter.Split(" and ", StringSplitOptions.TrimEntries))
            {
                var m = Clause().Match(clause);
                if (!m.Success)
                {
                    await ArmErrors.WriteAsync(context, 400, "BMSUserErrorInvalidFilter", $"The filter clause '{clause}' is not supported.");
                    return;
                }

                var value = m.Groups["value"].Value;
                switch (m.Groups["name"].Value.ToLowerInvariant())
                {
                    case "operation": jobs = jobs.Where(j => j.Operation.Equals(value, StringComparison.OrdinalIgnoreCase)); break;
                    case "status": jobs = jobs.Where(j => j.State.Equals(value, StringComparison.OrdinalIgnoreCase)); break;
                    case "starttime" or "endtime" when !DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out _):
                        await ArmErrors.WriteAsync(context, 400, "BMSUserErrorInvalidFilter", $"'{value}' is not a time.");
                        return;
                    case "starttime":
                        var from = DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                        jobs = jobs.Where(j => j.Start.UtcDateTime >= from);
                        break;
                    case "endtime":
                        var to = DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                        jobs = jobs.Where(j => j.Start.UtcDateTime <= to);
                        break;
                    case "backupmanagementtype": break;
                    default:
                        await ArmErrors.WriteAsync(context, 400, "BMSUserErrorInvalidFilter", $"The filter field '{m.Groups["name"].Value}' is not supported.");
                        return;
                }
            }
        }

        var vaultId = $"/Subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.RecoveryServices/vaults/{vault}";
        await WriteAsync(context, [.. jobs.Select(j => Backup(vaultId, j))], null);
    }

    private static async Task<bool> AdmitAsync(HttpContext context, string subscriptionId, string vault, TenantScenario scenario, string version, string what)
    {
        var apiVersion = context.Request.Query["api-version"].ToString();
        if (apiVersion != version)
        {
            await ArmErrors.WriteAsync(context, 400, apiVersion.Length == 0 ? "MissingApiVersionParameter" : "InvalidApiVersionParameter", $"The api-version '{apiVersion}' is invalid. The supported versions are '{version}'.");
            return false;
        }

        if (scenario.IndexOf(subscriptionId) < 0)
        {
            await ArmErrors.WriteAsync(context, 404, "SubscriptionNotFound", $"The subscription '{subscriptionId}' could not be found.");
            return false;
        }

        if (vault.StartsWith("forbidden", StringComparison.OrdinalIgnoreCase))
        {
            await ArmErrors.WriteAsync(context, 403, "AuthorizationFailed", $"The client does not have authorization to perform action 'Microsoft.RecoveryServices/vaults/{what}/read' over scope '.../vaults/{vault}'.");
            return false;
        }

        return true;
    }

    private static Dictionary<string, object?> Replication(string vaultId, VaultJob j) => new()
    {
        ["id"] = $"{vaultId}/replicationJobs/{Guid(vaultId, j.Name)}",
        ["name"] = Guid(vaultId, j.Name),
        ["type"] = "Microsoft.RecoveryServices/vaults/replicationJobs",
        ["properties"] = new Dictionary<string, object?>
        {
            ["activityId"] = Guid(vaultId, "activity-" + j.Name) + " ActivityId: " + Guid(vaultId, "client-" + j.Name),
            ["scenarioName"] = j.Operation,
            ["friendlyName"] = j.Operation switch { "TestFailover" => "Test failover", "TestFailoverCleanup" => "Cleanup test failover", _ => "Register the Azure Site Recovery Provider" },
            ["state"] = j.State,
            ["stateDescription"] = j.State switch { "Succeeded" => "Completed", "Failed" => "Failed", _ => "InProgress" },
            ["tasks"] = Array.Empty<object>(),
            ["errors"] = j.State == "Failed"
                ? new object[] { new Dictionary<string, object?> { ["serviceErrorDetails"] = new Dictionary<string, object?> { ["code"] = "70038", ["message"] = "The test failover virtual machine could not be started." }, ["errorLevel"] = "Error", ["creationTime"] = Iso(j.End ?? j.Start) } }
                : Array.Empty<object>(),
            ["startTime"] = Iso(j.Start),
            ["endTime"] = j.End is { } e ? Iso(e) : null,
            ["allowedActions"] = j.State == "InProgress" ? new[] { "Cancel" } : Array.Empty<string>(),
            ["targetObjectId"] = Guid(vaultId, "target-" + j.Target),
            ["targetObjectName"] = j.Target,
            ["targetInstanceType"] = j.Operation.StartsWith("TestFailover", StringComparison.Ordinal) ? "ProtectionEntity" : "Server",
            ["customDetails"] = j.Operation == "TestFailover"
                ? new Dictionary<string, object?> { ["instanceType"] = "TestFailoverJobDetails", ["testFailoverStatus"] = j.State, ["comments"] = "quarterly DR drill", ["networkName"] = "vnet-dr-test", ["networkFriendlyName"] = "vnet-dr-test", ["networkType"] = "VmNetworkAsInput", ["protectedItemDetails"] = Array.Empty<object>() }
                : new Dictionary<string, object?> { ["instanceType"] = "AsrJobDetails" },
        },
    };

    private static Dictionary<string, object?> Backup(string vaultId, VaultJob j) => new()
    {
        ["id"] = $"{vaultId}/backupJobs/{Guid(vaultId, j.Name)}",
        ["name"] = Guid(vaultId, j.Name),
        ["type"] = "Microsoft.RecoveryServices/vaults/backupJobs",
        ["properties"] = new Dictionary<string, object?>
        {
            ["jobType"] = "AzureIaaSVMJob",
            ["duration"] = System.Xml.XmlConvert.ToString((j.End ?? j.Start) - j.Start),
            ["virtualMachineVersion"] = "Compute",
            ["entityFriendlyName"] = j.Target,
            ["backupManagementType"] = "AzureIaasVM",
            ["operation"] = j.Operation,
            ["status"] = j.State,
            ["startTime"] = Iso(j.Start),
            ["endTime"] = j.End is { } e ? Iso(e) : null,
            ["activityId"] = Guid(vaultId, "activity-" + j.Name),
        },
    };

    private static Task WriteAsync(HttpContext context, IReadOnlyList<Dictionary<string, object?>> page, string? next)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new Dictionary<string, object?> { ["value"] = page };
        if (next is not null)
        {
            body["nextLink"] = next;
        }

        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string Guid(string vaultId, string name) =>
        new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(vaultId.ToLowerInvariant() + "|" + name))).ToString();

    [GeneratedRegex("^(?<name>\\w+) eq '(?<value>[^']*)'$")]
    private static partial Regex Clause();
}
