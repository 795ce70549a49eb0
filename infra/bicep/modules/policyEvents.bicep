// Azure Policy compliance-state changes of one subscription, delivered by the system topic's managed
// identity to the policy-states Storage queue, with dead-lettering. A subscription can have only one
// system topic of this type; set deployPolicyEvents=false where one exists already.
//
// Deployed in the deployment subscription only (the system topic is a resource of a resource group in
// the subscription it watches). Other monitored subscriptions are covered by the Defender collector's
// timer snapshot, which reads policy and assessment state through Resource Graph; events only make
// changes arrive sooner.

metadata description = 'Azure Policy state-change system topic delivering to a Storage queue by managed identity.'

@description('Name of the system topic.')
@minLength(3)
@maxLength(128)
param systemTopicName string

@description('Tags applied to the system topic.')
param tags object = {}

@description('Name of the runtime storage account that holds the queue and the dead-letter container (same resource group).')
param runtimeStorageName string

@description('Name of the queue the events are delivered to.')
param queueName string

@description('Name of the blob container undeliverable events are written to.')
param deadLetterContainerName string

// Built-in role ids.
var roles = {
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
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

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.PolicyInsights.PolicyStates'
  }
}

resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage::queueService::queue.id, systemTopic.id, roles.storageQueueDataMessageSender)
  scope: runtimeStorage::queueService::queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'Policy state system topic: deliver events to its queue.'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage::blobService::deadLetterContainer.id, systemTopic.id, roles.storageBlobDataContributor)
  scope: runtimeStorage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'Policy state system topic: dead-letter undeliverable events.'
  }
}

resource eventSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: 'policy-states-to-queue'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.PolicyInsights.PolicyStateCreated'
        'Microsoft.PolicyInsights.PolicyStateChanged'
        'Microsoft.PolicyInsights.PolicyStateDeleted'
      ]
    }
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: runtimeStorage.id
          queueName: queueName
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
  dependsOn: [
    queueSender
    deadLetterWriter
  ]
}

@description('Resource id of the system topic.')
output resourceId string = systemTopic.id
