namespace Collectors.Tests.Infra;

/// <summary>Built-in Azure role definition ids (the same in every tenant and cloud).</summary>
internal static class BuiltInRoles
{
    public const string Owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    public const string Contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    public const string UserAccessAdministrator = "18d7d88d-d35e-4fb5-a5c3-7773c6a72cd9";
    public const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    public const string Reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    public const string SecurityReader = "39bc4728-0917-49c7-9d2c-d95423bc2eb4";
    public const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    public const string StorageBlobDataReader = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
    public const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    public const string StorageQueueDataReader = "19e7f393-937e-4f77-808e-94535e297925";
    public const string StorageQueueDataMessageProcessor = "8a0f0c08-91a1-4084-bc3d-661d67233fed";
    public const string StorageQueueDataMessageSender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
    public const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    public const string EventGridDataSender = "d5a91429-5739-47e2-a06b-3470a27159e7";
    public const string KeyVaultReader = "21090545-7ca7-4776-b22c-e363652d74d2";
    public const string KeyVaultCryptoUser = "12338af0-0e69-4776-bea7-57ae8d297424";
    public const string KeyVaultCryptoOfficer = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
    public const string KeyVaultAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
    public const string KeyVaultDataAccessAdministrator = "8b54135c-b56d-4d72-a534-26097cfdc8d8";

    /// <summary>Roles that can change anything, grant access, or manage or delete the signing key: never granted.</summary>
    public static readonly IReadOnlyDictionary<string, string> Forbidden = new Dictionary<string, string>
    {
        [Owner] = "Owner",
        [Contributor] = "Contributor",
        [UserAccessAdministrator] = "User Access Administrator",
        [StorageBlobDataOwner] = "Storage Blob Data Owner",
        [KeyVaultAdministrator] = "Key Vault Administrator",
        [KeyVaultCryptoOfficer] = "Key Vault Crypto Officer",
        [KeyVaultDataAccessAdministrator] = "Key Vault Data Access Administrator",
    };

    /// <summary>Role names as collector.json files spell them.</summary>
    public static readonly IReadOnlyDictionary<string, string> ByName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Reader"] = Reader,
        ["Security Reader"] = SecurityReader,
    };
}
