using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Configuration;
using Collectors.Evidence;

namespace Collectors.Cli.Audit;

/// <summary>
/// The auditor's way in: a container SAS URL, checked before anything is read. Only a read-only
/// (read + list), unexpired container SAS is accepted: a tool that refuses more access than it needs
/// cannot change the evidence by mistake, and an auditor handed a writable SAS should say so.
/// </summary>
internal static class AuditorSas
{
    private static readonly Dictionary<char, string> s_permissionNames = new()
    {
        ['a'] = "add", ['c'] = "create", ['w'] = "write", ['d'] = "delete", ['x'] = "delete version", ['y'] = "permanent delete",
        ['t'] = "tags", ['f'] = "filter by tags", ['m'] = "move", ['e'] = "execute", ['i'] = "set immutability policy", ['o'] = "ownership", ['p'] = "permissions",
    };

    /// <summary>What is wrong with the SAS URL, or null when it is a read-only container SAS valid at <paramref name="now"/>.</summary>
    public static string? Problem(Uri url, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(url.Query) || !url.Query.Contains("sig=", StringComparison.Ordinal))
        {
            return "The URL has no SAS signature (sig=…). Use the whole URL the evidence owner gave you, including everything after '?'.";
        }

        BlobUriBuilder parts;
        try
        {
            parts = new BlobUriBuilder(url);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return $"The SAS URL could not be read ({ex.Message}). Use the whole URL the evidence owner gave you.";
        }

        var sas = parts.Sas;
        if (string.IsNullOrEmpty(parts.BlobContainerName) || !string.IsNullOrEmpty(parts.BlobName))
        {
            return "The URL must name the evidence container and nothing below it: https://<account>.blob.core.windows.net/<container>?<sas>.";
        }

        if (sas.Resource != "c")
        {
            return $"This SAS is for {(sas.Resource is "b" or "bv" or "bs" ? "a single blob" : $"resource type '{sas.Resource}'")} (sr={sas.Resource}), not for the evidence container (sr=c). Ask the evidence owner for a container grant: collectors auditor grant.";
        }

        var permissions = sas.Permissions ?? string.Empty;
        var extra = permissions.Where(p => p is not ('r' or 'l')).Distinct().ToList();
        if (extra.Count > 0)
        {
            return $"This SAS grants {string.Join(", ", extra.Select(p => $"{s_permissionNames.GetValueOrDefault(p, "unknown")} ({p})"))} besides read and list (sp={permissions}). An auditor's SAS must be read-only, and this tool refuses anything more so that nothing can change the evidence by mistake. Ask the evidence owner for a read-only one: collectors auditor grant.";
        }

        if (!permissions.Contains('r', StringComparison.Ordinal) || !permissions.Contains('l', StringComparison.Ordinal))
        {
            return $"This SAS lacks {(permissions.Contains('r', StringComparison.Ordinal) ? "list (l)" : permissions.Contains('l', StringComparison.Ordinal) ? "read (r)" : "read (r) and list (l)")} (sp={permissions}); the package needs both. Ask the evidence owner for a grant: collectors auditor grant.";
        }

        if (sas.ExpiresOn == default)
        {
            return "This SAS has no expiry (se=); an auditor's access must be time-limited. Ask the evidence owner for a grant: collectors auditor grant.";
        }

        if (sas.ExpiresOn <= now)
        {
            return $"This SAS expired at {TimeWindow.Iso(sas.ExpiresOn)} (now is {TimeWindow.Iso(now)}). Ask the evidence owner for a new grant (collectors auditor grant, at most 7 days).";
        }

        if (sas.StartsOn != default && sas.StartsOn > now.AddMinutes(5))
        {
            return $"This SAS is not valid before {TimeWindow.Iso(sas.StartsOn)} (now is {TimeWindow.Iso(now)}). Wait until then, or check this machine's clock.";
        }

        return null;
    }

    /// <summary>The container behind a checked SAS, after one listing proves storage accepts it and it holds Collectors evidence.</summary>
    public static async Task<BlobContainerClient> ConnectAsync(Uri url, AzureOptions azure, CancellationToken cancellationToken)
    {
        if (Problem(url, TimeProvider.System.GetUtcNow()) is { } problem)
        {
            throw new CliUsageException(problem);
        }

        var connection = EvidenceStoreConnection.Create(new EvidenceOptions { ContainerSasUri = url }, azure);
        var container = connection.Evidence;
        var streams = 0;
        try
        {
            await foreach (var item in container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }, cancellationToken).ConfigureAwait(false))
            {
                if (item.IsPrefix && item.Prefix is not (KeysPrefix or "rejections/"))
                {
                    streams++;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // Azure answers a signature that does not match the resource with AuthenticationFailed, Azurite with AuthorizationFailure.
            throw new CliUsageException(ex.ErrorCode is "AuthenticationFailed" or "AuthorizationFailure"
                ? $"Storage refused this SAS for container '{container.Name}' (403 {ex.ErrorCode}): it was issued for another container or account, the URL was changed, or it was revoked (collectors auditor revoke). Use the URL exactly as the evidence owner gave it, or ask for a new grant on the evidence container."
                : $"Storage refused this SAS for container '{container.Name}' (403 {ex.ErrorCode}): it does not allow listing the container. Ask the evidence owner for a new grant (collectors auditor grant).");
        }

        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new CliUsageException($"There is no container '{container.Name}' at {container.Uri.GetLeftPart(UriPartial.Authority)} ({ex.ErrorCode}). Check the URL.");
        }

        if (streams == 0)
        {
            throw new CliUsageException($"Container '{container.Name}' holds no Collectors evidence (no streams, no daily summaries). Check that the SAS is for the evidence container.");
        }

        return container;
    }

    private const string KeysPrefix = "keys/";

}
