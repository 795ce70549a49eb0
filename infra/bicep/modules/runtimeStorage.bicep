// The Functions runtime account: host storage (leases, timer schedule monitors), the Flex deployment
// package container, the Event Grid queues, the collectors' work queue, their poison queues, and the Event Grid dead-letter
// container. No evidence ever lands here.
//
// The app identity's roles here, and why each is the narrowest that works:
// - Storage Blob Data Contributor: the host creates its own containers (azure-webjobs-hosts, -secrets)
//   and takes blob leases; the platform reads the deployment package. Not Owner: nothing needs ACLs.
// - Storage Queue Data Reader + Storage Queue Data Message Processor: what the queue trigger needs to
//   read, peek, receive and delete messages and read queue properties for scaling.
// - Storage Queue Data Message Sender: a message that fails maxDequeueCount times is added to
//   `<queue>-poison`, and an event message whose stream is locked by another writer is put back on its
//   own queue for later (QueuedEventProcessor). The queues are created here, so adding a message is all
//   the app needs; Storage Queue Data Contributor (which can also create and delete queues) is not granted.

metadata description = 'Functions runtime storage account with identity-only access, Event Grid queues and a dead-letter container.'

@description('Name of the runtime storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags applied to the account.')
param tags object = {}

@description('Name of the blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string = 'app-package'

@description('Name of the blob container Event Grid dead-letters undeliverable events into.')
param deadLetterContainerName string = 'eventgrid-deadletter'

@description('Names of the queues the app is triggered by; each gets a `<name>-poison` queue too.')
@minLength(1)
param queueNames string[]

@description('Name of the Functions app\'s user-assigned identity (same resource group).')
param appIdentityName string

// Built-in role ids.
var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925'
  storageQueueDataMessageProcessor: '8a0f0c08-91a1-4084-bc3d-661d67233fed'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
}

var appRoles = [
  roles.storageBlobDataContributor
  roles.storageQueueDataReader
  roles.storageQueueDataMessageProcessor
  roles.storageQueueDataMessageSender
]

// A queue name is 3-63 lower-case letters, digits and single hyphens; `-poison` adds 7 characters.
var checkedQueueNames = [
  for queue in queueNames: length(queue) >= 3 && length(queue) <= 56 && toLower(queue) == queue && !contains(queue, '--') && !startsWith(queue, '-') && !endsWith(queue, '-')
    ? queue
    : fail('Queue name \'${queue}\' is invalid: use 3-56 lower-case letters, digits and single hyphens (the poison queue adds \'-poison\').')
]
var allQueueNames = flatten(map(checkedQueueNames, queue => [queue, '${queue}-poison']))

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: appIdentityName
}

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = [
  for queue in allQueueNames: {
    parent: queueService
    name: queue
  }
]

resource appAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in appRoles: {
    name: guid(account.id, appIdentity.id, roleId)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

@description('Resource id of the runtime account.')
output resourceId string = account.id

@description('Name of the runtime account.')
output name string = account.name

@description('Blob endpoint of the runtime account (AzureWebJobsStorage__blobServiceUri).')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Queue endpoint of the runtime account (AzureWebJobsStorage__queueServiceUri).')
output queueEndpoint string = account.properties.primaryEndpoints.queue

@description('Name of the deployment package container.')
output deploymentContainerName string = deploymentContainer.name

@description('Name of the dead-letter container.')
output deadLetterContainerName string = deadLetterContainer.name

@description('Names of all queues created, poison queues included.')
output queueNames string[] = [for (queue, i) in allQueueNames: queues[i].name]
