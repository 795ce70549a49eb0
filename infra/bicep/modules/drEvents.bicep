// DR-drill results arrive as CloudEvents on a custom Event Grid topic and are delivered, by the topic's
// own managed identity, to a Storage queue that triggers the app: no webhook, no public endpoint of the
// app, durable buffering and a poison queue. Undeliverable events are dead-lettered to a blob container,
// also by identity. Publishers authenticate with Entra only (local keys are disabled).

metadata description = 'Custom Event Grid topic (CloudEvents 1.0, Entra only) delivering DR events to a Storage queue by managed identity.'

@description('Name of the custom topic.')
@minLength(3)
@maxLength(50)
param topicName string

@description('Azure region of the topic.')
param location string

@description('Tags applied to the topic.')
param tags object = {}

@description('Name of the runtime storage account that holds the queue and the dead-letter container (same resource group).')
param runtimeStorageName string

@description('Name of the queue the events are delivered to.')
param queueName string

@description('Name of the blob container undeliverable events are written to.')
param deadLetterContainerName string

@description('Principals allowed to publish DR events (EventGrid Data Sender on this topic), e.g. the pipeline that runs drills.')
param publishers principal[] = []

@description('A principal to grant a role to.')
type principal = {
  @description('Object id of the principal.')
  principalId: string

  @description('Type of the principal.')
  principalType: ('User' | 'Group' | 'ServicePrincipal')
}

// Built-in role ids.
var roles = {
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

resource runtimeStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: runtimeStorageName

  resource queueService 'queueServices' existing = {
    name: 'default'

    resource queue 'queues' existing = {
      name: queueName
    }
  }

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: topicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    minimumTlsVersionAllowed: '1.2'
  }
}

resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage::queueService::queue.id, topic.id, roles.storageQueueDataMessageSender)
  scope: runtimeStorage::queueService::queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'DR events topic: deliver events to its queue.'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage::blobService::deadLetterContainer.id, topic.id, roles.storageBlobDataContributor)
  scope: runtimeStorage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'DR events topic: dead-letter undeliverable events.'
  }
}

resource publisherAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for publisher in publishers: {
    name: guid(topic.id, publisher.principalId, roles.eventGridDataSender)
    scope: topic
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
      principalId: publisher.principalId
      principalType: publisher.principalType
      description: 'Publish DR drill results to the Collectors DR events topic.'
    }
  }
]

resource subscription 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'dr-events-to-queue'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: runtimeStorage.id
          queueName: queueName
          // -1: never expire; the app may be stopped for longer than the 7-day default.
          queueMessageTimeToLiveInSeconds: -1
        }
      }
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: runtimeStorage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
  // Event Grid checks its identity's access when the subscription is created.
  dependsOn: [
    queueSender
    deadLetterWriter
  ]
}

@description('Resource id of the topic.')
output resourceId string = topic.id

@description('Endpoint DR drills publish CloudEvents to (Entra token with EventGrid Data Sender).')
output endpoint string = topic.properties.endpoint
