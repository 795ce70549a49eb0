// The Functions app on Flex Consumption (.NET isolated), running as one user-assigned identity, with
// identity-based host storage only: no connection string, no account key, no instrumentation key.
// Flex takes its runtime from functionAppConfig.runtime; the settings that older plans used for that
// (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENTSHARE,
// linuxFxVersion...) are refused by Flex and are refused here too. Timer schedules are UTC
// (WEBSITE_TIME_ZONE is not supported on Flex).

metadata description = 'Flex Consumption Functions app with a user-assigned identity and identity-based host storage.'

@description('Name of the function app.')
@minLength(2)
@maxLength(60)
param name string

@description('Name of the Flex Consumption plan.')
@minLength(1)
@maxLength(60)
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app (the app also gets azd-service-name).')
param tags object = {}

@description('azd service name, written to the app\'s azd-service-name tag so that `azd deploy` finds it.')
param serviceName string = 'collectors'

@description('Name of the user-assigned identity the app runs as (same resource group).')
param identityName string

@description('Name of the runtime storage account (same resource group).')
param runtimeStorageName string

@description('Name of the runtime account container that holds the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component (same resource group).')
param applicationInsightsName string

@description('The app\'s own settings (the configuration contract); host, identity and telemetry settings are added here.')
param appSettings object

@description('.NET isolated runtime version on Flex Consumption.')
param runtimeVersion string = '10.0'

@description('Upper bound of instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// Built-in role: Monitoring Metrics Publisher (send telemetry to an App Insights with local auth off).
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

// Settings Flex Consumption rejects or ignores, and the host-storage and telemetry keys this module owns.
var rejectedSettings = [
  'FUNCTIONS_WORKER_RUNTIME'
  'FUNCTIONS_EXTENSION_VERSION'
  'WEBSITE_RUN_FROM_PACKAGE'
  'WEBSITE_CONTENTSHARE'
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
  'WEBSITE_TIME_ZONE'
  'WEBSITE_NODE_DEFAULT_VERSION'
  'SCM_DO_BUILD_DURING_DEPLOYMENT'
  'ENABLE_ORYX_BUILD'
  'TZ'
  'APPINSIGHTS_INSTRUMENTATIONKEY'
]
var ownedSettingPrefixes = [
  'AZUREWEBJOBSSTORAGE'
  'APPLICATIONINSIGHTS_'
]
var reservedSettingsGiven = filter(
  objectKeys(appSettings),
  key => contains(rejectedSettings, toUpper(key)) || length(filter(ownedSettingPrefixes, prefix => startsWith(toUpper(key), prefix))) > 0
)
var checkedAppSettings = empty(reservedSettingsGiven)
  ? appSettings
  : fail('These app settings are reserved or not supported on Flex Consumption: ${join(reservedSettingsGiven, ', ')}.')

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource runtimeStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: runtimeStorageName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${runtimeStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(checkedAppSettings, {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.properties.clientId
    AzureWebJobsStorage__blobServiceUri: runtimeStorage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: runtimeStorage.properties.primaryEndpoints.queue
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  })
}

// Publishing with basic (user/password) credentials is off; azd deploys with an Entra token.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    description: 'Collectors app: send telemetry to Application Insights (local auth is disabled).'
  }
}

@description('Name of the function app.')
output name string = site.name

@description('Resource id of the function app.')
output resourceId string = site.id

@description('Default host name of the function app.')
output defaultHostName string = site.properties.defaultHostName
