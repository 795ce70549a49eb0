// The evidence store: a storage account created with version-level immutability (WORM), separate from
// the Functions runtime account so that nothing the platform needs (leases, deployment packages, queues)
// ever shares an account, a role assignment or a retention policy with the evidence.
//
// Immutability, as configured here:
// - The account is created with immutableStorageWithVersioning enabled (possible only at creation) and a
//   default time-based retention policy of `retentionDays` on every blob version that has no policy of
//   its own. Azure gives every container of such an account version-level immutability.
// - `evidence` and `summaries` ask for version-level immutability explicitly and inherit the account
//   policy. The writer also sets a legal hold on every evidence blob.
// - `collector-state` holds mutable checkpoints (If-Match overwrites; each overwrite keeps the old state
//   as a previous version). It asks for no immutability of its own; because the account default would
//   otherwise keep every checkpoint version for `retentionDays`, it gets a container default policy of
//   `stateRetentionDays` (1 by default) and a lifecycle rule that deletes old checkpoint versions.
// - Point-in-time restore and last-access tracking are incompatible with version-level immutability and
//   stay off; blob inventory cannot be configured on such an account either.
// - `immutabilityState`: 'Unlocked' can be shortened or removed (trials; `azd down` can then empty the
//   account once holds are cleared). 'Locked' is irreversible: the retention can then only grow, and the
//   account cannot be deleted while any version is under retention. A policy is created Unlocked and can
//   be locked by a later deployment, never the other way round.

metadata description = 'Evidence storage account with version-level WORM, access logging and a least-privilege writer role.'

@description('Name of the evidence storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags applied to the account.')
param tags object = {}

@description('Redundancy of the evidence account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param skuName string = 'Standard_GRS'

@description('Days every evidence blob version is kept unmodifiable and undeletable (account default policy).')
@minValue(1)
@maxValue(146000)
param retentionDays int

@description('State of the account default immutability policy. Unlocked: for trials. Locked: production; irreversible.')
@allowed([
  'Unlocked'
  'Locked'
])
param immutabilityState string = 'Unlocked'

@description('Days a checkpoint version in the state container is kept before it may be deleted; 0 keeps the account default.')
@minValue(0)
param stateRetentionDays int = 1

@description('Days after which old checkpoint versions are deleted by the lifecycle policy.')
@minValue(1)
param stateVersionCleanupDays int = 7

@description('Days after which evidence and summaries move to the Cool tier.')
@minValue(1)
param coolTierAfterDays int = 90

@description('Name of the write-once evidence container.')
param evidenceContainerName string = 'evidence'

@description('Name of the write-once summaries container.')
param summariesContainerName string = 'summaries'

@description('Name of the mutable checkpoint container.')
param stateContainerName string = 'collector-state'

@description('Resource id of the Log Analytics workspace that receives the blob service\'s StorageRead/StorageWrite/StorageDelete log.')
param workspaceId string

@description('Name of the Functions app\'s user-assigned identity (same resource group): the evidence writer.')
param writerIdentityName string

@description('Object id of a principal to give read-only access to the evidence (the deployer, to run `collectors verify`); empty for none.')
param readerPrincipalId string = ''

@description('Type of `readerPrincipalId`.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param readerPrincipalType string = 'User'

// Guards: each checked value is what the resources use, so a bad configuration fails the deployment
// before anything is created.
var containerNames = [evidenceContainerName, summariesContainerName, stateContainerName]
var distinctContainerNames = length(union(containerNames, [])) == 3
  ? containerNames
  : fail('The evidence, summaries and state containers need three different names; got ${string(containerNames)}.')
var checkedRetentionDays = immutabilityState != 'Locked' || retentionDays >= 365
  ? retentionDays
  : fail('Refusing to lock an immutability policy of ${retentionDays} days: a SOC 2 Type II period plus the audit needs at least 365, and a locked policy can never be shortened. Raise evidenceRetentionDays first.')

// Built-in role: Storage Blob Data Reader.
var storageBlobDataReaderRoleId = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource writerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: writerIdentityName
}

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    isHnsEnabled: false
    publicNetworkAccess: 'Enabled'
    immutableStorageWithVersioning: {
      enabled: true
      immutabilityPolicy: {
        immutabilityPeriodSinceCreationInDays: checkedRetentionDays
        state: immutabilityState
        allowProtectedAppendWrites: false
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource evidenceContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: distinctContainerNames[0]
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

resource summariesContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: distinctContainerNames[1]
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: distinctContainerNames[2]
  properties: {
    publicAccess: 'None'
  }
}

resource stateContainerPolicy 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2025-01-01' = if (stateRetentionDays > 0) {
  parent: stateContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: stateRetentionDays
    allowProtectedAppendWrites: false
  }
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'evidence-to-cool'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${evidenceContainerName}/', '${summariesContainerName}/']
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: coolTierAfterDays
                }
              }
              version: {
                tierToCool: {
                  daysAfterCreationGreaterThan: coolTierAfterDays
                }
              }
            }
          }
        }
        {
          name: 'state-old-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${stateContainerName}/']
            }
            actions: {
              version: {
                delete: {
                  daysAfterCreationGreaterThan: max(stateVersionCleanupDays, stateRetentionDays)
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    evidenceContainer
    summariesContainer
    stateContainer
  ]
}

resource accessLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'evidence-access-log'
  scope: blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageRead'
        enabled: true
      }
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

// The narrowest role that can write evidence and set legal holds / per-blob retention:
// - Storage Blob Data Owner is refused (it can also change ACLs and grant itself anything on the data).
// - Storage Blob Data Contributor lacks immutableStorage/runAsSuperUser/action, which Set Blob
//   Immutability Policy needs and which the ABAC action table also lists for legal holds.
// - The REST permission table lists Set Blob Legal Hold under containers/write instead (a documented
//   CONFLICT), so the role carries both.
// - No delete and no move: the app never deletes or renames evidence (write once), and checkpoints are
//   only ever overwritten. No generateUserDelegationKey: the app mints no SAS; operators do, with their
//   own identity.
// - Setting and clearing a legal hold is one permission (Set Blob Legal Hold takes `x-ms-legal-hold:
//   true|false`), and the ABAC action "Write Blob legal hold and immutability policy" offers no request
//   attribute to tell them apart (only account, container and blob path), so no role or condition lets
//   the app set holds but not clear them. The writer can clear its own holds; it still cannot delete, and
//   every version keeps the account policy (Locked in production), which nobody can shorten. docs/deploy.md,
//   "What the app identity can do to evidence", has the whole account.
resource evidenceWriterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'collectors-evidence-writer')
  properties: {
    roleName: 'Collectors Evidence Writer (${resourceGroup().name}, ${take(uniqueString(resourceGroup().id), 6)})'
    description: 'Read and write blobs, set legal holds and blob immutability policies; no delete. For the Collectors Functions app on its evidence account.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/read'
          'Microsoft.Storage/storageAccounts/blobServices/containers/write'
        ]
        notActions: []
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action'
        ]
        notDataActions: []
      }
    ]
    // Custom roles should name a resource group or wider as assignable scope (Azure RBAC guidance);
    // the assignment below is what narrows it, to this one account.
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource writerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, writerIdentity.id, evidenceWriterRole.id)
  scope: account
  properties: {
    roleDefinitionId: evidenceWriterRole.id
    principalId: writerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'Collectors app: write evidence, set legal holds (custom role, no delete).'
  }
}

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(readerPrincipalId)) {
  name: guid(account.id, readerPrincipalId, storageBlobDataReaderRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReaderRoleId)
    principalId: readerPrincipalId
    principalType: readerPrincipalType
    description: 'Deployer: read evidence (collectors verify).'
  }
}

@description('Resource id of the evidence account.')
output resourceId string = account.id

@description('Name of the evidence account.')
output name string = account.name

@description('Blob endpoint of the evidence account (Evidence__BlobServiceUri).')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Resource id of the custom evidence-writer role.')
output writerRoleDefinitionId string = evidenceWriterRole.id
