// Three monitored subscriptions, summary recipients and a DR-event publisher: the list-valued settings;
// a locked policy in a trial, and a software-protected signing key.
using '../../../../infra/bicep/main.bicep'

param environmentName = 'ci-multi'
param location = 'westeurope'
param principalId = ''
param monitoredSubscriptionIds = '00000000-0000-0000-0000-00000000000a, 00000000-0000-0000-0000-00000000000b,00000000-0000-0000-0000-00000000000c'
param approvedDeployerIds = '7c2f4e1a-3b5d-4a9e-8f06-1d2c3b4a5e60, a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b'
param summarySender = 'soc2-noreply@contoso.example'
param summaryRecipients = 'security@contoso.example,cto@contoso.example'
param drEventPublisherIds = '22222222-2222-2222-2222-222222222222'
param evidenceImmutabilityState = 'Locked'
param evidenceSigningProtection = 'Software'
