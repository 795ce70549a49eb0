// Read access for the app identity on one monitored subscription: Reader (Activity Log, Resource Graph,
// Recovery Services jobs) and Security Reader (Defender for Cloud assessments, alerts, secure score).
// Nothing that can write, and nothing that can grant access.

targetScope = 'subscription'

metadata description = 'Reader and Security Reader for one principal on the target subscription.'

@description('Object id of the principal (the app\'s managed identity).')
param principalId string

@description('A stable identifier of the principal known before deployment (the identity\'s resource id), used to name the assignments.')
param principalKey string

@description('Type of the principal.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param principalType string = 'ServicePrincipal'

// Built-in role ids.
var roles = {
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  securityReader: '39bc4728-0917-49c7-9d2c-d95423bc2eb4'
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in [roles.reader, roles.securityReader]: {
    name: guid(subscription().id, principalKey, roleId)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: principalId
      principalType: principalType
      description: 'Collectors app: read evidence sources of this subscription.'
    }
  }
]

@description('Ids of the role assignments made.')
output roleAssignmentIds string[] = [for (roleId, i) in [roles.reader, roles.securityReader]: assignments[i].id]
