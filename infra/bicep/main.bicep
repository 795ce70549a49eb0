// Collectors: SOC 2 evidence that collects itself. `azd up` deploys this template at subscription
// scope: it creates the resource group rg-<environment> and, in it, the evidence account (version-level
// WORM), the Key Vault key the app signs evidence with, the Functions runtime account, the Flex
// Consumption app and its identity, monitoring, and the Event Grid topics; then it grants the app
// identity read access on every monitored subscription.
// Every choice of role is explained beside it, in the module that makes it; docs/deploy.md has the why.

targetScope = 'subscription'

metadata description = 'Collectors: Azure Functions that stream SOC 2 evidence into immutable Blob storage.'

// ---------------------------------------------------------------------------------------------------
// azd

@description('azd environment name; names the resource group (rg-<name>) and seeds every resource name.')
@minLength(1)
@maxLength(54)
param environmentName string

@description('Azure region of every regional resource.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deployer (azd sets AZURE_PRINCIPAL_ID); gets read-only access to the evidence so that `collectors verify` works. Empty for none.')
param principalId string = ''

@description('Type of `principalId`.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Tags added to every resource (azd-env-name is always set).')
param tags object = {}

@description('trial (default) or production. Production refuses an Unlocked immutability policy: deploy as a trial first, verify, then lock (docs/deploy.md).')
@allowed([
  'trial'
  'production'
])
param environmentType string = 'trial'

// ---------------------------------------------------------------------------------------------------
// Evidence store

@description('Days every evidence blob version stays unmodifiable and undeletable (account default policy).')
@minValue(1)
@maxValue(146000)
param evidenceRetentionDays int = 400

@description('Unlocked (default; trials, `azd down` possible once empty) or Locked (production: IRREVERSIBLE; retention can then only grow). A policy is created Unlocked; lock it with a later `azd provision`.')
@allowed([
  'Unlocked'
  'Locked'
])
param evidenceImmutabilityState string = 'Unlocked'

@description('Redundancy of the evidence account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param evidenceStorageSku string = 'Standard_GRS'

@description('Days after which evidence and summaries move to the Cool tier.')
@minValue(1)
param evidenceCoolTierAfterDays int = 90

@description('HSM (default): the evidence signing key is hardware-protected (Premium vault, EC-HSM). Software: Standard vault, EC. Both are non-exportable; applies when the key is created.')
@allowed([
  'HSM'
  'Software'
])
param evidenceSigningProtection string = 'HSM'

@description('Days the Log Analytics workspace keeps logs, including who read, wrote or deleted evidence.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 365

// ---------------------------------------------------------------------------------------------------
// What is monitored, and where the summary goes

@description('Comma-separated ids of the subscriptions to collect from; empty means the deployment subscription. The app gets Reader and Security Reader on each.')
param monitoredSubscriptionIds string = ''

@description('Comma-separated object ids, app ids or UPNs of the identities allowed to change resources (your deployment pipelines): Collectors__ActivityLog__ApprovedDeployers__0..N. Changes by anyone else are reported as out-of-band (CC8.1).')
param approvedDeployerIds string = ''

@description('Azure__Cloud for the app; empty derives it from the cloud being deployed to.')
@allowed([
  ''
  'AzurePublicCloud'
  'AzureUSGovernment'
  'AzureChinaCloud'
])
param azureCloud string = ''

@description('Mailbox the daily summary is sent from (Summary__Sender); empty leaves the summary unsent until set.')
param summarySender string = ''

@description('Comma-separated addresses the daily summary is sent to (Summary__Recipients__0..N).')
param summaryRecipients string = ''

// ---------------------------------------------------------------------------------------------------
// Schedules (NCRONTAB, six fields, UTC: Flex Consumption has no time zone setting) and queues

@description('ACTIVITY_LOG_SCHEDULE.')
param activityLogSchedule string = '0 */15 * * * *'

@description('ENTRA_SIGNINS_SCHEDULE.')
param entraSignInsSchedule string = '0 5 * * * *'

@description('ENTRA_DIRECTORY_AUDITS_SCHEDULE.')
param entraDirectoryAuditsSchedule string = '0 10 * * * *'

@description('DEFENDER_FINDINGS_SCHEDULE.')
param defenderFindingsSchedule string = '0 0 */6 * * *'

@description('DR_JOBS_SCHEDULE.')
param drJobsSchedule string = '0 20 * * * *'

@description('DAILY_SUMMARY_SCHEDULE.')
param dailySummarySchedule string = '0 0 6 * * *'

@description('DR_TESTS_QUEUE: queue that DR-drill CloudEvents are delivered to (the dr-tests collector).')
param drTestsQueue string = 'dr-tests'

@description('POLICY_STATES_QUEUE: queue that Azure Policy state-change events are delivered to (the policy-states collector).')
param policyStatesQueue string = 'policy-states'

@description('COLLECTOR_WORK_QUEUE: queue the timers put work items on (one per collector, stream and window range); a queue-triggered function runs each, so the platform spreads them across instances.')
param collectorWorkQueue string = 'collector-work'

// ---------------------------------------------------------------------------------------------------
// Eventing

@description('Create the Azure Policy state-change system topic in the deployment subscription. Turn off where the subscription already has one (only one is allowed).')
param deployPolicyEvents bool = true

@description('Comma-separated object ids of service principals allowed to publish DR-drill events (EventGrid Data Sender on the DR topic).')
param drEventPublisherIds string = ''

// ---------------------------------------------------------------------------------------------------
// Functions

@description('.NET isolated runtime version on Flex Consumption.')
param functionsRuntimeVersion string = '10.0'

@description('Upper bound of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param functionsMaximumInstanceCount int = 40

// ---------------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })

var names = {
  resourceGroup: '${abbrs.resourcesResourceGroups}${environmentName}'
  identity: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
  workspace: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  applicationInsights: '${abbrs.insightsComponents}${resourceToken}'
  evidenceStorage: '${abbrs.storageStorageAccounts}ev${resourceToken}'
  signingVault: '${abbrs.keyVaultVaults}${resourceToken}'
  runtimeStorage: '${abbrs.storageStorageAccounts}fn${resourceToken}'
  plan: '${abbrs.webServerFarms}${resourceToken}'
  functionApp: '${abbrs.webSitesFunctions}${resourceToken}'
  drTopic: '${abbrs.eventGridTopics}dr-${resourceToken}'
  policyTopic: '${abbrs.eventGridSystemTopics}policy-${resourceToken}'
}

var evidenceContainer = 'evidence'
var summariesContainer = 'summaries'
var stateContainer = 'collector-state'
var deadLetterContainer = 'eventgrid-deadletter'
var deploymentContainer = 'app-package'

// Lists come in as comma-separated strings because azd substitutes environment values as text.
func splitList(text string) string[] => filter(map(split(text, ','), item => trim(item)), item => !empty(item))

var givenSubscriptionIds = splitList(monitoredSubscriptionIds)
var subscriptionIds = union(empty(givenSubscriptionIds) ? [subscription().subscriptionId] : givenSubscriptionIds, [])
var checkedSubscriptionIds = [
  for id in subscriptionIds: length(id) == 36 && length(split(id, '-')) == 5
    ? toLower(id)
    : fail('monitoredSubscriptionIds: \'${id}\' is not a subscription id (a GUID).')
]

var recipients = splitList(summaryRecipients)
var approvedDeployers = splitList(approvedDeployerIds)
var checkedSummarySender = empty(recipients) || !empty(summarySender)
  ? summarySender
  : fail('summaryRecipients is set but summarySender is empty: the daily summary needs a sender mailbox (SUMMARY_SENDER).')

var queueSettings = [
  { setting: 'DR_TESTS_QUEUE', queue: drTestsQueue }
  { setting: 'POLICY_STATES_QUEUE', queue: policyStatesQueue }
  { setting: 'COLLECTOR_WORK_QUEUE', queue: collectorWorkQueue }
]
var checkedQueues = [
  for (q, i) in queueSettings: length(filter(queueSettings, other => other.queue == q.queue)) == 1
    ? q.queue
    : fail('${q.setting} is \'${q.queue}\', the queue another setting names: DR_TESTS_QUEUE, POLICY_STATES_QUEUE and COLLECTOR_WORK_QUEUE must be different queues.')
]

// Production evidence sits under a Locked policy. A policy is created Unlocked, so production is always
// a second deployment: trial (Unlocked) → verify → production with Locked (docs/deploy.md).
var checkedImmutabilityState = environmentType != 'production' || evidenceImmutabilityState == 'Locked'
  ? evidenceImmutabilityState
  : fail('environmentType is \'production\' but evidenceImmutabilityState is \'${evidenceImmutabilityState}\': production evidence must be under a Locked immutability policy, which nobody can shorten or remove. Deploy as a trial first (COLLECTORS_ENVIRONMENT_TYPE=trial), verify it, then set EVIDENCE_IMMUTABILITY_STATE=Locked and COLLECTORS_ENVIRONMENT_TYPE=production and run `azd provision` again (docs/deploy.md, "Locking the immutability policy").')

var drPublishers = map(splitList(drEventPublisherIds), id => { principalId: id, principalType: 'ServicePrincipal' })

// environment().name is AzureCloud, AzureUSGovernment or AzureChinaCloud; the app calls the first AzurePublicCloud.
var cloudByEnvironment = {
  AzureCloud: 'AzurePublicCloud'
  AzureUSGovernment: 'AzureUSGovernment'
  AzureChinaCloud: 'AzureChinaCloud'
}
var appCloud = !empty(azureCloud)
  ? azureCloud
  : cloudByEnvironment[?environment().name] ?? fail('Cannot derive Azure__Cloud from cloud \'${environment().name}\': set AZURE_APP_CLOUD (azureCloud).')

// The configuration contract: every key the app reads, besides host storage and telemetry, which the
// function app module adds. Each collector's schedule or queue setting is here (a test reads every
// functions/Collectors/*/collector.json and fails when one is missing).
var appSettings = union(
  {
    Evidence__BlobServiceUri: evidence.outputs.blobEndpoint
    Evidence__Container: evidenceContainer
    Evidence__StateContainer: stateContainer
    // Both environment types refuse a container without version-level WORM; the template offers no way out.
    Evidence__RequireImmutability: 'true'
    // 0: every blob version inherits the account policy (Locked in production). A per-blob policy would be
    // created Unlocked, and the app identity, which may set immutability policies, could then shorten it.
    Evidence__ImmutabilityDays: '0'
    Evidence__SigningKeyId: signing.outputs.keyUri
    Azure__Credential: 'ManagedIdentity'
    Azure__ManagedIdentityClientId: identity.outputs.clientId
    Azure__Cloud: appCloud
    ACTIVITY_LOG_SCHEDULE: activityLogSchedule
    ENTRA_SIGNINS_SCHEDULE: entraSignInsSchedule
    ENTRA_DIRECTORY_AUDITS_SCHEDULE: entraDirectoryAuditsSchedule
    DEFENDER_FINDINGS_SCHEDULE: defenderFindingsSchedule
    DR_JOBS_SCHEDULE: drJobsSchedule
    DAILY_SUMMARY_SCHEDULE: dailySummarySchedule
    DR_TESTS_QUEUE: checkedQueues[0]
    POLICY_STATES_QUEUE: checkedQueues[1]
    COLLECTOR_WORK_QUEUE: checkedQueues[2]
  },
  toObject(range(0, length(checkedSubscriptionIds)), i => 'Collectors__ActivityLog__Subscriptions__${i}', i => checkedSubscriptionIds[i]),
  toObject(range(0, length(approvedDeployers)), i => 'Collectors__ActivityLog__ApprovedDeployers__${i}', i => approvedDeployers[i]),
  empty(checkedSummarySender) ? {} : { Summary__Sender: checkedSummarySender },
  toObject(range(0, length(recipients)), i => 'Summary__Recipients__${i}', i => recipients[i])
)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    workspaceName: names.workspace
    applicationInsightsName: names.applicationInsights
    location: location
    tags: allTags
    retentionInDays: logRetentionDays
  }
}

module evidence 'modules/evidenceStorage.bicep' = {
  name: 'evidence-storage'
  scope: rg
  params: {
    name: names.evidenceStorage
    location: location
    tags: allTags
    skuName: evidenceStorageSku
    retentionDays: evidenceRetentionDays
    immutabilityState: checkedImmutabilityState
    coolTierAfterDays: evidenceCoolTierAfterDays
    evidenceContainerName: evidenceContainer
    summariesContainerName: summariesContainer
    stateContainerName: stateContainer
    workspaceId: monitoring.outputs.workspaceId
    writerIdentityName: names.identity
    readerPrincipalId: principalId
    readerPrincipalType: principalType
  }
  dependsOn: [
    identity
  ]
}

module signing 'modules/signingKey.bicep' = {
  name: 'evidence-signing'
  scope: rg
  params: {
    vaultName: names.signingVault
    location: location
    tags: allTags
    protection: evidenceSigningProtection
    signerIdentityName: names.identity
    readerPrincipalId: principalId
    readerPrincipalType: principalType
    workspaceId: monitoring.outputs.workspaceId
  }
  dependsOn: [
    identity
  ]
}

module runtime 'modules/runtimeStorage.bicep' = {
  name: 'runtime-storage'
  scope: rg
  params: {
    name: names.runtimeStorage
    location: location
    tags: allTags
    queueNames: checkedQueues
    deploymentContainerName: deploymentContainer
    deadLetterContainerName: deadLetterContainer
    appIdentityName: names.identity
  }
  dependsOn: [
    identity
  ]
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    identityName: names.identity
    runtimeStorageName: names.runtimeStorage
    deploymentContainerName: deploymentContainer
    applicationInsightsName: names.applicationInsights
    appSettings: appSettings
    runtimeVersion: functionsRuntimeVersion
    maximumInstanceCount: functionsMaximumInstanceCount
  }
  dependsOn: [
    runtime
  ]
}

module drEvents 'modules/drEvents.bicep' = {
  name: 'dr-tests'
  scope: rg
  params: {
    topicName: names.drTopic
    location: location
    tags: allTags
    runtimeStorageName: names.runtimeStorage
    queueName: checkedQueues[0]
    deadLetterContainerName: deadLetterContainer
    publishers: drPublishers
  }
  dependsOn: [
    runtime
  ]
}

module policyEvents 'modules/policyEvents.bicep' = if (deployPolicyEvents) {
  name: 'policy-states'
  scope: rg
  params: {
    systemTopicName: names.policyTopic
    tags: allTags
    runtimeStorageName: names.runtimeStorage
    queueName: checkedQueues[1]
    deadLetterContainerName: deadLetterContainer
  }
  dependsOn: [
    runtime
  ]
}

module monitoredSubscriptionAccess 'modules/subscriptionReader.bicep' = [
  for subscriptionId in checkedSubscriptionIds: {
    name: 'collectors-readers-${take(uniqueString(subscriptionId, environmentName), 8)}'
    scope: subscription(subscriptionId)
    params: {
      principalId: identity.outputs.principalId
      principalKey: resourceId(subscription().subscriptionId, names.resourceGroup, 'Microsoft.ManagedIdentity/userAssignedIdentities', names.identity)
      principalType: 'ServicePrincipal'
    }
  }
]

@description('Region deployed to.')
output AZURE_LOCATION string = location

@description('Tenant deployed to.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group of the suite.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Name of the Functions app (azd deploys the collectors service to it).')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Name of the app\'s user-assigned managed identity.')
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name

@description('Client id of the app\'s managed identity.')
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Object id of the app\'s managed identity (service principal); the postprovision hook grants it Graph app roles.')
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId

@description('Name of the evidence storage account.')
output EVIDENCE_STORAGE_ACCOUNT_NAME string = evidence.outputs.name

@description('Blob endpoint of the evidence account (for `collectors verify --account-url`).')
output EVIDENCE_BLOB_SERVICE_URI string = evidence.outputs.blobEndpoint

@description('The evidence account\'s resource id: collectors auditor revoke --account-id (Evidence__AccountResourceId).')
output EVIDENCE_ACCOUNT_ID string = evidence.outputs.resourceId

@description('State of the evidence immutability policy as deployed.')
output EVIDENCE_IMMUTABILITY_STATE string = checkedImmutabilityState

@description('trial or production, as deployed.')
output COLLECTORS_ENVIRONMENT_TYPE string = environmentType

@description('Versionless URI of the evidence signing key (Evidence__SigningKeyId); the postprovision hook prints its public key\'s thumbprint.')
output EVIDENCE_SIGNING_KEY_ID string = signing.outputs.keyUri

@description('Name of the key vault that holds the evidence signing key.')
output EVIDENCE_SIGNING_VAULT_NAME string = signing.outputs.vaultName

@description('Endpoint DR drills publish CloudEvents to.')
output DR_EVENTS_TOPIC_ENDPOINT string = drEvents.outputs.endpoint

@description('Sender mailbox of the daily summary (the hook prints how to scope Mail.Send to it).')
output SUMMARY_SENDER string = checkedSummarySender
