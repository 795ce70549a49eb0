// The one identity the Functions app runs as. User-assigned, so that its client id is known before
// the app exists (host storage, Application Insights and the collectors all name it) and so that
// role assignments and Graph app-role grants survive a re-created app.

metadata description = 'User-assigned managed identity of the Collectors Functions app.'

@description('Name of the user-assigned managed identity.')
@minLength(3)
@maxLength(128)
param name string

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output resourceId string = identity.id

@description('Name of the identity.')
output name string = identity.name

@description('Client (application) id of the identity: AzureWebJobsStorage__clientId, Azure__ManagedIdentityClientId.')
output clientId string = identity.properties.clientId

@description('Object id of the identity\'s service principal: the principal of every role assignment and Graph app-role grant.')
output principalId string = identity.properties.principalId
