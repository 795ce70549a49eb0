// What `azd up` deploys when nothing but the azd environment is set. Evaluated offline by
// `bicep snapshot` in eng/bicep.sh; the infrastructure tests read the result.
using '../../../../infra/bicep/main.bicep'

param environmentName = 'ci'
param location = 'westeurope'
param principalId = '11111111-1111-1111-1111-111111111111'
