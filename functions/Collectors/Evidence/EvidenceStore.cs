using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs.Models;
using Collectors.Configuration;
using Microsoft.Extensions.Logging;

namespace Collectors.Evidence;

/// <summary>A configuration problem with the evidence store: the user must change something; retrying will not help.</summary>
public sealed class EvidenceStoreConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What the store can promise, found once per process: WORM or not, and who is writing.</summary>
public sealed record StoreReadiness(bool ImmutabilityEnforced, string? ImmutabilityNote, ManifestIdentity Identity);

/// <summary>
/// The evidence store as writers see it: checks the containers once, detects whether version-level
/// immutability is really there (Azurite has none), and refuses to run unprotected unless told to.
/// </summary>
public sealed partial class EvidenceStore(EvidenceStoreConnection connection, EvidenceOptions options, ILogger<EvidenceStore> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private StoreReadiness? _readiness;

    public EvidenceStoreConnection Connection => connection;

    public EvidenceOptions Options => options;

    public async Task<StoreReadiness> EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (_readiness is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _readiness ??= await ProbeAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Upload options for a write-once evidence blob: If-None-Match *, and a legal hold where the container enforces WORM.</summary>
    public BlobUploadOptions CreateOnce(StoreReadiness readiness, string contentType, IDictionary<string, string>? metadata = null) => new()
    {
        HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
        Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        LegalHold = readiness.ImmutabilityEnforced && options.LegalHold ? true : null,
        Metadata = metadata,
    };

    private async Task<StoreReadiness> ProbeAsync(CancellationToken cancellationToken)
    {
        if (connection.State is null)
        {
            throw new EvidenceStoreConfigurationException(
                $"The evidence store was reached through {connection.How}, which is read-only. Collectors write through Evidence__BlobServiceUri with a managed identity (or Evidence__ConnectionString for Azurite).");
        }

        var evidence = connection.Evidence;
        BlobContainerProperties properties;
        try
        {
            properties = (await evidence.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && connection.IsEmulator)
        {
            await evidence.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            properties = (await evidence.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new EvidenceStoreConfigurationException(
                $"The evidence container '{evidence.Name}' does not exist at {evidence.Uri}. It must be created by the infrastructure (azd up), with version-level immutability, which cannot be added to a container later.", ex);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            throw new EvidenceStoreConfigurationException(
                $"Storage returned 403 ({ex.ErrorCode}) for container '{evidence.Name}' through {connection.How}: the identity needs the evidence writer role on the evidence account (see README#permissions).", ex);
        }

        await connection.State.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

        var identity = await DescribeIdentityAsync(cancellationToken).ConfigureAwait(false);
        var worm = properties.HasImmutableStorageWithVersioning;
        var require = options.RequireImmutability ?? !connection.IsEmulator;
        if (worm)
        {
            LogWorm(logger, evidence.Name);
            return new StoreReadiness(true, null, identity);
        }

        var note = connection.IsEmulator
            ? "not enforced: storage emulator (Azurite implements neither legal hold nor immutability policies)"
            : $"not enforced: container '{evidence.Name}' does not have version-level immutability and Evidence:RequireImmutability is false";
        if (require)
        {
            throw new EvidenceStoreConfigurationException(
                $"The evidence container '{evidence.Name}' at {evidence.Uri} does not enforce version-level immutability, and Evidence:RequireImmutability is true. " +
                "Deploy the evidence account from infra/bicep (it enables version-level WORM at creation), or, for a trial only, set Evidence__RequireImmutability=false; every manifest will then say the evidence is not protected.");
        }

        LogNotEnforced(logger, evidence.Name, note);
        return new StoreReadiness(false, note, identity);
    }

    private async Task<ManifestIdentity> DescribeIdentityAsync(CancellationToken cancellationToken)
    {
        if (connection.Credential is null)
        {
            return new ManifestIdentity("SharedKey", null, null, null, connection.How);
        }

        var token = await connection.Credential.GetTokenAsync(new TokenRequestContext(["https://storage.azure.com/.default"]), cancellationToken).ConfigureAwait(false);
        return ManifestIdentity.FromClaims(connection.CredentialKind?.ToString() ?? "Entra", ReadClaims(token.Token), connection.How);
    }

    /// <summary>Reads the claims of a JWT access token without validating it (it is our own token, used only to name ourselves).</summary>
    internal static Dictionary<string, string> ReadClaims(string jwt)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = jwt.Split('.');
        if (parts.Length < 2)
        {
            return result;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    result[property.Name] = property.Value.GetString()!;
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Not a JWT: the identity is described by the connection alone.
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Evidence container {Container} enforces version-level immutability; legal holds will be applied")]
    private static partial void LogWorm(ILogger logger, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evidence container {Container}: immutability {Note}. Every manifest will record this")]
    private static partial void LogNotEnforced(ILogger logger, string container, string note);
}
