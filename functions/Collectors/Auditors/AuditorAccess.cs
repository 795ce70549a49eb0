using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Collectors.Arm;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;

namespace Collectors.Auditors;

/// <summary>Bad input to a grant or revocation: nothing was issued or written.</summary>
public sealed class AuditorRequestException(string message, Exception? inner = null) : Exception(message, inner);

public sealed record AuditorGrantRequest(string Auditor, int Days, DateOnly? PeriodFrom = null, DateOnly? PeriodTo = null);

/// <summary>The SAS URL (shown once, never stored) and the evidence of the grant.</summary>
public sealed record AuditorGrantResult(Uri SasUrl, AuditorGrantRecord Record, CommitResult Commit);

public sealed record AuditorRevocationResult(AuditorRevocationRecord Record, CommitResult Commit);

/// <summary>
/// Grants auditors read-only, time-limited access to the evidence container, and revokes it, leaving
/// evidence of both. A grant is a <b>user delegation SAS</b>: signed with a key Azure Storage issues to
/// the caller's Entra identity (Storage Blob Delegator) for at most 7 days, so it can never outlive
/// that, and it carries only what the caller may do (Storage Blob Data Reader): read and list. Against
/// the storage emulator (a connection string) it is a service SAS signed with the account key, and the
/// record says so. The SAS itself is never stored or logged: the record keeps the SHA-256 of its signature.
/// </summary>
public sealed partial class AuditorAccess
{
    private readonly EvidenceStore store;
    private readonly EvidenceWriter writer;
    private readonly EvidenceReader reader;
    private readonly Func<ArmRestClient> arm;
    private readonly TimeProvider time;
    private readonly ILogger<AuditorAccess> logger;

    internal AuditorAccess(EvidenceStore store, EvidenceWriter writer, EvidenceReader reader, Func<ArmRestClient> arm, TimeProvider time, ILogger<AuditorAccess> logger)
    {
        this.store = store;
        this.writer = writer;
        this.reader = reader;
        this.arm = arm;
        this.time = time;
        this.logger = logger;
    }

    public const string Collector = "auditor-access";

    /// <summary>The platform's limit: a user delegation key, and so every SAS signed with it, lives at most 7 days.</summary>
    public const int MaxDays = 7;

    public static readonly EvidenceStream GrantsStream = new(Collector, "grants");

    public static readonly EvidenceStream RevocationsStream = new(Collector, "revocations");

    /// <summary>Logical access (CC6.1), its granting (CC6.2) and its removal (CC6.3).</summary>
    public static readonly IReadOnlyList<string> Criteria = ["CC6.1", "CC6.2", "CC6.3"];

    /// <summary>The clock skew a SAS's start allows for (Microsoft's advice: start a little in the past).</summary>
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    public async Task<AuditorGrantResult> GrantAsync(AuditorGrantRequest request, CancellationToken cancellationToken)
    {
        var auditor = Validate(request);
        var connection = store.Connection;
        if (connection.State is null)
        {
            throw new AuditorRequestException("Access is granted by the evidence owner (an account URL with an Entra identity, or the emulator's connection string), not through a SAS.");
        }

        var readiness = await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var container = connection.Evidence;
        var now = time.GetUtcNow();
        var startsOn = now - Skew;
        // A delegation key must expire within 7 days of the service's clock: a full 7 days is cut by the skew allowance.
        var expiresOn = request.Days == MaxDays ? now.AddDays(MaxDays) - Skew : now.AddDays(request.Days);
        var https = string.Equals(container.Uri.Scheme, "https", StringComparison.OrdinalIgnoreCase);
        var builder = new BlobSasBuilder(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, expiresOn)
        {
            BlobContainerName = container.Name,
            Resource = "c",
            StartsOn = startsOn,
            Protocol = https ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };

        Uri sasUrl;
        string kind;
        string? signedObjectId = null, signedTenantId = null;
        string? note = null;
        if (connection.Credential is null)
        {
            if (!connection.IsEmulator)
            {
                throw new AuditorRequestException($"The evidence store is reached with an account key ({connection.How}). Production accounts have shared keys turned off: grant with --account-url and an Entra identity that has Storage Blob Delegator and Storage Blob Data Reader, which issues a user delegation SAS.");
            }

            if (!container.CanGenerateSasUri)
            {
                throw new AuditorRequestException("The connection string has no account key, so no SAS can be signed with it.");
            }

            sasUrl = container.GenerateSasUri(builder);
            kind = "service";
            note = "Storage emulator: a service SAS signed with the account key (the emulator has no Entra delegation keys). In production this is a user delegation SAS, and shared keys are off."
                + (https ? string.Empty : " The emulator listens on HTTP, so the SAS allows HTTP too; in production it is HTTPS only.");
        }
        else
        {
            var service = container.GetParentBlobServiceClient();
            Azure.Storage.Blobs.Models.UserDelegationKey key;
            try
            {
                key = (await service.GetUserDelegationKeyAsync(startsOn, expiresOn, cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException ex) when (ex.Status == 400)
            {
                throw new AuditorRequestException($"Azure Storage refused the delegation key's times ({ex.ErrorCode}): start {TimeWindow.Iso(startsOn)}, expiry {TimeWindow.Iso(expiresOn)}. The expiry must be within 7 days of the service's clock; check this machine's clock, or grant fewer days.", ex);
            }
            catch (RequestFailedException ex) when (ex.Status is 401 or 403)
            {
                throw new AuditorRequestException($"Azure Storage refused a user delegation key to this identity ({ex.Status} {ex.ErrorCode}). It needs 'Storage Blob Delegator' on the account (or Storage Blob Data Reader/Contributor, which include it) and 'Storage Blob Data Reader' on the evidence container: a SAS carries no more than its signer may do.", ex);
            }

            sasUrl = new Azure.Storage.Blobs.BlobUriBuilder(container.Uri) { Sas = builder.ToSasQueryParameters(key, service.AccountName) }.ToUri();
            kind = "user-delegation";
            signedObjectId = key.SignedObjectId;
            signedTenantId = key.SignedTenantId;
            if (!https)
            {
                note = "The endpoint listens on HTTP, so the SAS allows HTTP too.";
            }
        }

        var signature = new Azure.Storage.Blobs.BlobUriBuilder(sasUrl).Sas.Signature;
        var record = new AuditorGrantRecord
        {
            GrantId = Guid.NewGuid().ToString("N"),
            Auditor = auditor,
            RequestedBy = readiness.Identity,
            SasKind = kind,
            Account = container.AccountName,
            Container = container.Name,
            Permissions = "rl",
            Protocol = https ? "https" : "https,http",
            IssuedAt = now,
            StartsOn = startsOn,
            ExpiresOn = expiresOn,
            PeriodFrom = request.PeriodFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            PeriodTo = request.PeriodTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            SignedObjectId = signedObjectId,
            SignedTenantId = signedTenantId,
            SignatureSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(signature))),
            Note = note,
        };

        // Recorded before it is shown: a grant that could not be recorded is never handed out.
        var commit = await CommitAsync(GrantsStream, record.GrantId, now, JsonSerializer.SerializeToUtf8Bytes(record, EvidenceJson.Compact),
            $"Read-only access granted to {auditor.Name} until {TimeWindow.Iso(expiresOn)}.", cancellationToken).ConfigureAwait(false);
        if (commit.Status == CommitStatus.Failed)
        {
            throw new EvidenceStoreConfigurationException($"The grant could not be recorded ({commit.Reason}), so the SAS was not issued. Nothing was granted; try again.");
        }

        LogGranted(logger, record.GrantId, auditor.Name, record.ExpiresOn, kind);
        return new AuditorGrantResult(sasUrl, record, commit);
    }

    /// <summary>
    /// Revokes every user delegation key of the evidence account (ARM <c>revokeUserDelegationKeys</c>), which
    /// invalidates every user delegation SAS signed with them, and records it.
    /// </summary>
    public async Task<AuditorRevocationResult> RevokeAsync(string accountResourceId, CancellationToken cancellationToken)
    {
        if (!AccountId().IsMatch(accountResourceId ?? string.Empty))
        {
            throw new AuditorRequestException($"'{accountResourceId}' is not a storage account resource id. Give /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name> (the deployment's EVIDENCE_ACCOUNT_ID output, or: az storage account show -n <name> --query id).");
        }

        if (store.Connection.State is null)
        {
            throw new AuditorRequestException("Access is revoked by the evidence owner, not through a SAS.");
        }

        var id = accountResourceId!;
        var accountName = id[(id.LastIndexOf('/') + 1)..].ToLowerInvariant();
        var evidenceAccount = store.Connection.Evidence.AccountName;
        var note = string.Empty;
        if (!string.Equals(accountName, evidenceAccount, StringComparison.OrdinalIgnoreCase))
        {
            if (!store.Connection.IsEmulator)
            {
                throw new AuditorRequestException($"{accountResourceId} names account '{accountName}', but the evidence is in '{evidenceAccount}'. Give the evidence account's id (the deployment's EVIDENCE_ACCOUNT_ID output): revoking another account's keys would leave the auditors' access in place.");
            }

            note = $" Storage emulator: the account id names '{accountName}', which cannot be checked against the emulator's '{evidenceAccount}'.";
        }

        await store.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var client = arm();
        var caller = await client.CallerAsync(cancellationToken).ConfigureAwait(false);
        var url = new Uri(client.Endpoint, id.TrimStart('/') + "/revokeUserDelegationKeys?api-version=2023-05-01");
        int status;
        try
        {
            await client.PostAsync(url, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            status = 200;
        }
        catch (ArmRequestException ex)
        {
            throw new AuditorRequestException(SourceFailure.Explain(ex, "ARM", $"revoking the user delegation keys of {accountResourceId}",
                "the identity needs Microsoft.Storage/storageAccounts/revokeUserDelegationKeys/action on the account (Storage Account Contributor, or Owner)",
                "check the account's resource id (subscription, group and name)").Message + " Nothing was revoked.", ex);
        }

        var now = time.GetUtcNow();
        var record = new AuditorRevocationRecord
        {
            RevocationId = Guid.NewGuid().ToString("N"),
            RequestedBy = caller,
            AccountResourceId = id,
            Account = accountName,
            RevokedAt = now,
            Status = status,
            Note = "Every user delegation key of the account was revoked: every user delegation SAS signed with one stops working, not only the auditors'. Revocation can take a few minutes to reach every storage front end. Service SAS (account key) are not affected: rotate the key for those." + note,
        };
        var commit = await CommitAsync(RevocationsStream, record.RevocationId, now, JsonSerializer.SerializeToUtf8Bytes(record, EvidenceJson.Compact),
            "User delegation keys revoked.", cancellationToken).ConfigureAwait(false);
        LogRevoked(logger, id, commit.Status);
        return new AuditorRevocationResult(record, commit);
    }

    /// <summary>Grants not expired at <paramref name="at"/>, less user delegation grants of an account revoked after they were issued.</summary>
    public Task<IReadOnlyList<ActiveGrant>> ActiveGrantsAsync(DateTimeOffset at, CancellationToken cancellationToken) => ActiveGrantsAsync(reader, at, null, cancellationToken);

    /// <inheritdoc cref="ActiveGrantsAsync(DateTimeOffset, CancellationToken)"/>
    /// <param name="unreadable">Where grant or revocation records that could not be read are reported (damaged, missing content); they are left out, never fatal.</param>
    public static async Task<IReadOnlyList<ActiveGrant>> ActiveGrantsAsync(EvidenceReader reader, DateTimeOffset at, ICollection<string>? unreadable, CancellationToken cancellationToken)
    {
        var from = at.AddDays(-(MaxDays + 1));
        var revocations = new List<AuditorRevocationRecord>();
        await foreach (var (_, revocation) in ReadAsync<AuditorRevocationRecord>(reader, RevocationsStream, from, at, unreadable, cancellationToken).ConfigureAwait(false))
        {
            revocations.Add(revocation);
        }

        var active = new List<ActiveGrant>();
        await foreach (var (manifest, grant) in ReadAsync<AuditorGrantRecord>(reader, GrantsStream, from, at, unreadable, cancellationToken).ConfigureAwait(false))
        {
            var revoked = grant.SasKind == "user-delegation"
                && revocations.Any(r => string.Equals(r.Account, grant.Account, StringComparison.OrdinalIgnoreCase) && r.RevokedAt >= grant.IssuedAt && r.RevokedAt <= at);
            if (grant.IssuedAt <= at && grant.ExpiresOn > at && !revoked)
            {
                active.Add(new ActiveGrant(grant.GrantId, grant.Auditor.Name, grant.Auditor.Email, grant.SasKind, grant.Permissions, grant.IssuedAt, grant.ExpiresOn, grant.PeriodFrom, grant.PeriodTo, manifest));
            }
        }

        return [.. active.OrderBy(g => g.ExpiresOn)];
    }

    /// <summary>Refuses bad input before anything is asked of Azure; returns the auditor.</summary>
    public static AuditorIdentity Validate(AuditorGrantRequest request)
    {
        var auditor = ParseAuditor(request.Auditor);
        if (request.Days is < 1 or > MaxDays)
        {
            throw new AuditorRequestException(request.Days > MaxDays
                ? string.Create(CultureInfo.InvariantCulture, $"--days {request.Days} is more than {MaxDays}: a user delegation SAS cannot outlive its user delegation key, and Azure Storage issues those for at most 7 days. Grant {MaxDays} days, and grant again when it runs out (each grant is recorded).")
                : string.Create(CultureInfo.InvariantCulture, $"--days {request.Days} is not a number of days from 1 to {MaxDays}."));
        }

        if ((request.PeriodFrom is null) != (request.PeriodTo is null))
        {
            throw new AuditorRequestException("Give both --from and --to (the audit period's first and last day), or neither.");
        }

        if (request.PeriodFrom is { } pf && request.PeriodTo is { } pt && pt < pf)
        {
            throw new AuditorRequestException($"--to {pt:yyyy-MM-dd} is before --from {pf:yyyy-MM-dd}: give the audit period's first and last day.");
        }

        return auditor;
    }

    /// <summary>"Name &lt;email&gt;" or "Name email": both parts required, the e-mail plausible.</summary>
    public static AuditorIdentity ParseAuditor(string? text)
    {
        var value = (text ?? string.Empty).Trim();
        var match = Auditor().Match(value);
        if (!match.Success)
        {
            throw new AuditorRequestException($"--auditor '{value}' is not a name and an e-mail address. Give both, e.g. --auditor \"Dana Reyes <dana.reyes@auditfirm.example>\".");
        }

        return new AuditorIdentity(match.Groups["name"].Value.Trim(), match.Groups["email"].Value);
    }

    private async Task<CommitResult> CommitAsync(EvidenceStream stream, string key, DateTimeOffset at, byte[] json, string note, CancellationToken cancellationToken)
    {
        var start = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        return await writer.CommitEventAsync(
            new EvidenceBatch(Collector, Criteria, stream, new TimeWindow(start, start.AddSeconds(1))),
            key,
            (log, ct) => One(json, note, log, ct),
            cancellationToken).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<(string Manifest, T Record)> ReadAsync<T>(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, ICollection<string>? unreadable, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var untrusted = new List<string>();
        await foreach (var manifest in reader.ManifestsAsync(stream, from, to.AddSeconds(1), cancellationToken, untrusted).ConfigureAwait(false))
        {
            var values = new List<T>();
            try
            {
                await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
                {
                    if (JsonSerializer.Deserialize<T>(record.Json.Span, EvidenceJson.Options) is { } value)
                    {
                        values.Add(value);
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or JsonException or RequestFailedException { Status: 404 })
            {
                unreadable?.Add($"{manifest.Name}: {ex.Message}");
                continue;
            }

            foreach (var value in values)
            {
                yield return (manifest.Name, value);
            }
        }

        foreach (var u in untrusted)
        {
            unreadable?.Add($"{u} (not signed by a trusted key)");
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> One(byte[] json, string note, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        log.AddRequest(new SourceRequest("CLI", "collectors auditor", null, null));
        log.AddPage();
        log.Note = note;
        await Task.CompletedTask.ConfigureAwait(false);
        yield return json;
        log.MarkComplete();
    }

    [GeneratedRegex(@"^(?<name>[^<>@\s][^<>@]*?)\s*<?(?<email>[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>?$")]
    private static partial Regex Auditor();

    [GeneratedRegex(@"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w._()]{0,89}[-\w_()]/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}$", RegexOptions.IgnoreCase)]
    private static partial Regex AccountId();

    [LoggerMessage(Level = LogLevel.Information, Message = "Auditor grant {GrantId} for {Auditor} until {ExpiresOn:o} ({Kind} SAS) recorded")]
    private static partial void LogGranted(ILogger logger, string grantId, string auditor, DateTimeOffset expiresOn, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User delegation keys of {Account} revoked; recorded: {Status}")]
    private static partial void LogRevoked(ILogger logger, string account, CommitStatus status);
}
