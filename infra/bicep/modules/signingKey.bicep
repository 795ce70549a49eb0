// The key the app signs every manifest and record with (Key Vault REST `POST {vault}/keys/{name}/{version}/sign`,
// alg ES256), so that evidence cannot be forged by anyone who can merely write to the evidence account.
//
// - An EC P-256 key whose operations are sign and verify only. It is not exportable and has no release
//   policy: the private half never leaves Key Vault (an HSM with `protection: 'HSM'`). No expiry and no
//   rotation policy: a new version means a new public key, which auditors must be told about (the
//   postprovision hook prints its thumbprint).
// - ARM creates the first version of a key and never another: redeploying this template leaves the key,
//   its properties and its thumbprint as they are (Keys - Create If Not Exist).
// - The vault authorizes with Azure RBAC only (no access policies), keeps deleted keys for 90 days and
//   has purge protection on, so neither the key nor the vault can be destroyed for good within that time,
//   by anyone. Public network access is enabled, as for the storage accounts of this template.
// - The app identity gets a custom role with exactly `keys/read` (the public key and its version) and
//   `keys/sign/action`, on this one key. Key Vault Crypto User would also let it encrypt, decrypt, wrap,
//   unwrap, update and back up the key.
// - The deployer (optional) gets Key Vault Reader on this one key, to read the public key in the
//   postprovision hook; it cannot sign.
// - Every data-plane call (who signed, who read) goes to Log Analytics (AuditEvent).

metadata description = 'Key Vault with a non-exportable EC P-256 evidence signing key, usable by the app identity for sign only.'

@description('Name of the key vault (3-24 letters, digits and hyphens; globally unique; reserved for 90 days after deletion).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags object = {}

@description('Name of the signing key.')
@minLength(1)
@maxLength(127)
param keyName string = 'evidence-signing'

@description('HSM: Premium vault, key kty EC-HSM (hardware-protected). Software: Standard vault, key kty EC. Applies when the key is created; an existing key keeps its protection.')
@allowed([
  'HSM'
  'Software'
])
param protection string = 'HSM'

@description('Name of the Functions app\'s user-assigned identity (same resource group): the signer.')
param signerIdentityName string

@description('Object id of a principal that may read the public key (the deployer, for the postprovision hook); empty for none.')
param readerPrincipalId string = ''

@description('Type of `readerPrincipalId`.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param readerPrincipalType string = 'User'

@description('Resource id of the Log Analytics workspace that receives the vault\'s AuditEvent log.')
param workspaceId string

// Built-in role: Key Vault Reader (read metadata and public keys; no cryptographic operation).
var keyVaultReaderRoleId = '21090545-7ca7-4776-b22c-e363652d74d2'

resource signerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: signerIdentityName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: protection == 'HSM' ? 'premium' : 'standard'
    }
    enableRbacAuthorization: true
    accessPolicies: []
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
  }
}

resource key 'Microsoft.KeyVault/vaults/keys@2024-11-01' = {
  parent: vault
  name: keyName
  properties: {
    kty: protection == 'HSM' ? 'EC-HSM' : 'EC'
    curveName: 'P-256'
    keyOps: [
      'sign'
      'verify'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
  }
}

resource signerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'collectors-evidence-signer')
  properties: {
    roleName: 'Collectors Evidence Signer (${resourceGroup().name}, ${take(uniqueString(resourceGroup().id), 6)})'
    description: 'Read a Key Vault key\'s public part and sign with it; nothing else. For the Collectors Functions app on its evidence signing key.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/read'
          'Microsoft.KeyVault/vaults/keys/sign/action'
        ]
        notDataActions: []
      }
    ]
    // As for the evidence writer role: assignable in the resource group, assigned on the key only.
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource signerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(key.id, signerIdentity.id, signerRole.id)
  scope: key
  properties: {
    roleDefinitionId: signerRole.id
    principalId: signerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'Collectors app: sign evidence with this key (custom role: read + sign only).'
  }
}

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(readerPrincipalId)) {
  name: guid(key.id, readerPrincipalId, keyVaultReaderRoleId)
  scope: key
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultReaderRoleId)
    principalId: readerPrincipalId
    principalType: readerPrincipalType
    description: 'Deployer: read the public signing key (postprovision hook prints its thumbprint).'
  }
}

resource auditLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'signing-audit-log'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

@description('Name of the key vault.')
output vaultName string = vault.name

@description('Versionless URI of the signing key (Evidence__SigningKeyId): a public identifier, not key material.')
output keyUri string = key.properties.keyUri

@description('Resource id of the custom signer role.')
output signerRoleDefinitionId string = signerRole.id
