// Production after the two-step lock: environmentType production with a Locked policy, the deployer a group.
using '../../../../infra/bicep/main.bicep'

param environmentName = 'ci-prod'
param location = 'westeurope'
param principalId = '33333333-3333-3333-3333-333333333333'
param principalType = 'Group'
param environmentType = 'production'
param evidenceImmutabilityState = 'Locked'
