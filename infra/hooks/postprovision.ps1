# azd postprovision hook (windows). Grants the app's managed identity the Microsoft Graph application
# permissions the collectors need, which no ARM/Bicep template can grant:
#   AuditLog.Read.All  Entra sign-in logs and directory audits
#   Mail.Send          the daily summary email (see MAIL_SEND_SCOPE below)
# Idempotent: looks up the Microsoft Graph service principal (appId 00000003-0000-0000-c000-000000000000)
# and the app roles by value, and POSTs an appRoleAssignment only where one is missing. Granting
# application permissions of Microsoft Graph needs a Privileged Role Administrator or Global
# Administrator (Cloud Application Administrator and Application Administrator may grant other APIs'
# app roles, not Microsoft Graph's); without that right it prints the exact commands for a tenant
# admin and exits 0, so that `azd up` still deploys.
#
# Environment (azd passes its environment to hooks):
#   AZURE_MANAGED_IDENTITY_PRINCIPAL_ID / _CLIENT_ID / _NAME   outputs of infra/bicep/main.bicep
#   SUMMARY_SENDER       the summary's sender mailbox, for the Exchange scoping commands
#   MAIL_SEND_SCOPE      tenant  (default) grant Mail.Send in Entra: the app may send as ANY mailbox
#                        mailbox do not grant it in Entra; print the Exchange Online RBAC for
#                        Applications commands for SUMMARY_SENDER only, and warn if a tenant-wide
#                        grant exists (it would make the scoping ineffective)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$graphAppId = '00000003-0000-0000-c000-000000000000'
$principalId = $env:AZURE_MANAGED_IDENTITY_PRINCIPAL_ID
$clientId = if ($env:AZURE_MANAGED_IDENTITY_CLIENT_ID) { $env:AZURE_MANAGED_IDENTITY_CLIENT_ID } else { '<client id of the managed identity>' }
$identityName = if ($env:AZURE_MANAGED_IDENTITY_NAME) { $env:AZURE_MANAGED_IDENTITY_NAME } else { 'collectors' }
$sender = $env:SUMMARY_SENDER
$scope = if ($env:MAIL_SEND_SCOPE) { $env:MAIL_SEND_SCOPE } else { 'tenant' }

if (-not $principalId) {
    Write-Error "postprovision: AZURE_MANAGED_IDENTITY_PRINCIPAL_ID is not set; run 'azd provision' first."
    exit 1
}

$roles = switch ($scope) {
    'tenant' { @('AuditLog.Read.All', 'Mail.Send') }
    'mailbox' { @('AuditLog.Read.All') }
    default {
        Write-Error "postprovision: MAIL_SEND_SCOPE must be 'tenant' or 'mailbox', not '$scope'."
        exit 1
    }
}

# App role ids as looked up in this tenant; until then the well-known ids, used only in printed commands.
$roleIds = @{
    'AuditLog.Read.All' = 'b0afded3-3588-46d8-8b3d-9842eff778da'
    'Mail.Send'         = 'b633e1c5-b582-4048-a93e-9f11b44c7e96'
}
$graph = 'https://graph.microsoft.com'
$graphSp = $null
$pending = @()

function Write-AdminCommands {
    $sp = if ($script:graphSp) { $script:graphSp } else { "`$(az ad sp show --id $graphAppId --query id -o tsv)" }
    Write-Host ''
    Write-Host 'A tenant administrator (Privileged Role Administrator or Global Administrator) must grant these'
    Write-Host 'Microsoft Graph application permissions to the'
    Write-Host "managed identity '$identityName' (service principal $principalId):"
    Write-Host ''
    foreach ($role in $script:pending) {
        $roleId = $script:roleIds[$role]
        Write-Host "  # $role"
        Write-Host "  az rest --method POST --url '$($script:graph)/v1.0/servicePrincipals/$principalId/appRoleAssignments' --headers Content-Type=application/json --body '{`"principalId`":`"$principalId`",`"resourceId`":`"$sp`",`"appRoleId`":`"$roleId`"}'"
        Write-Host ''
    }
    Write-Host 'or, with the Microsoft.Graph PowerShell module:'
    Write-Host '  Connect-MgGraph -Scopes AppRoleAssignment.ReadWrite.All,Application.Read.All'
    Write-Host "  `$graph = Get-MgServicePrincipal -Filter `"appId eq '$graphAppId'`""
    foreach ($role in $script:pending) {
        Write-Host "  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $principalId -PrincipalId $principalId -ResourceId `$graph.Id -AppRoleId (`$graph.AppRoles | Where-Object { `$_.Value -eq '$role' -and `$_.AllowedMemberTypes -contains 'Application' }).Id"
    }
    Write-Host ''
    Write-Host 'Then re-run: azd hooks run postprovision'
}

function Write-MailboxScoping {
    $mailbox = if ($sender) { $sender } else { '<sender mailbox, SUMMARY_SENDER>' }
    Write-Host ''
    Write-Host 'Restricting Mail.Send to the one sender mailbox (Exchange Online RBAC for Applications; an'
    Write-Host 'Exchange Administrator or Organization Management member runs this in Exchange Online PowerShell):'
    Write-Host '  Connect-ExchangeOnline'
    Write-Host "  New-ServicePrincipal -AppId $clientId -ObjectId $principalId -DisplayName '$identityName'"
    Write-Host "  New-ManagementScope -Name 'Collectors summary sender' -RecipientRestrictionFilter `"PrimarySmtpAddress -eq '$mailbox'`""
    Write-Host "  New-ManagementRoleAssignment -App $principalId -Role 'Application Mail.Send' -CustomResourceScope 'Collectors summary sender'"
    Write-Host "  Test-ServicePrincipalAuthorization -Identity $principalId -Resource '$mailbox'"
    Write-Host 'Exchange grants ADD to Entra grants: while Mail.Send is also granted in Entra (MAIL_SEND_SCOPE=tenant),'
    Write-Host 'the app can still send as any mailbox. Set MAIL_SEND_SCOPE=mailbox (azd env set MAIL_SEND_SCOPE mailbox),'
    Write-Host 'remove the Entra grant, and allow up to 2 hours for Exchange to apply the change. See docs/deploy.md.'
}

function Complete-Hook {
    if ($script:pending.Count -gt 0) { Write-AdminCommands }
    Write-MailboxScoping
    exit 0
}

# Runs az and returns its output, or $null when it fails.
function Invoke-Az {
    param([string[]] $Arguments)
    $output = & az @Arguments 2>$null
    if ($LASTEXITCODE -ne 0) { return $null }
    return ($output -join "`n").Trim()
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Host 'postprovision: the Azure CLI (az) is not installed, so Microsoft Graph permissions were not granted.'
    $pending = $roles
    Complete-Hook
}
if ($null -eq (Invoke-Az @('account', 'show'))) {
    Write-Host "postprovision: the Azure CLI is not signed in ('az login'), so Microsoft Graph permissions were not granted."
    $pending = $roles
    Complete-Hook
}

$cloudGraph = Invoke-Az @('cloud', 'show', '--query', 'endpoints.microsoftGraphResourceId', '-o', 'tsv')
if ($cloudGraph) { $graph = $cloudGraph.TrimEnd('/') }

$graphSp = Invoke-Az @('rest', '--method', 'GET', '--url', "$graph/v1.0/servicePrincipals(appId='$graphAppId')?`$select=id", '--query', 'id', '-o', 'tsv')
if (-not $graphSp) {
    Write-Host 'postprovision: could not read the Microsoft Graph service principal with the signed-in account.'
    $pending = $roles
    Complete-Hook
}

# A new managed identity takes a while to replicate to Microsoft Graph.
$existing = $null
for ($attempt = 1; $attempt -le 6; $attempt++) {
    $existing = Invoke-Az @('rest', '--method', 'GET', '--url', "$graph/v1.0/servicePrincipals/$principalId/appRoleAssignments", '--query', "value[?resourceId=='$graphSp'].{role: appRoleId, id: id}", '-o', 'json')
    if ($null -ne $existing) { break }
    Start-Sleep -Seconds 10
}
if ($null -eq $existing) {
    Write-Host "postprovision: the managed identity $principalId is not visible in Microsoft Graph yet."
    $pending = $roles
    Complete-Hook
}
$assignments = @($existing | ConvertFrom-Json)

foreach ($role in @('AuditLog.Read.All', 'Mail.Send')) {
    $id = Invoke-Az @('rest', '--method', 'GET', '--url', "$graph/v1.0/servicePrincipals/$($graphSp)?`$select=appRoles", '--query', "appRoles[?value=='$role' && contains(allowedMemberTypes, 'Application')].id | [0]", '-o', 'tsv')
    if (-not $id) {
        Write-Error "postprovision: Microsoft Graph has no application role '$role'."
        exit 1
    }
    $roleIds[$role] = $id
}

foreach ($role in $roles) {
    $roleId = $roleIds[$role]
    if ($assignments | Where-Object { $_.role -eq $roleId }) {
        Write-Host "postprovision: $role is already granted."
        continue
    }
    $body = @{ principalId = $principalId; resourceId = $graphSp; appRoleId = $roleId } | ConvertTo-Json -Compress
    $bodyFile = New-TemporaryFile
    try {
        Set-Content -Path $bodyFile -Value $body -Encoding utf8NoBOM
        $result = Invoke-Az @('rest', '--method', 'POST', '--url', "$graph/v1.0/servicePrincipals/$principalId/appRoleAssignments", '--headers', 'Content-Type=application/json', '--body', "@$bodyFile")
    }
    finally {
        Remove-Item $bodyFile -ErrorAction SilentlyContinue
    }
    if ($null -ne $result) {
        Write-Host "postprovision: granted $role."
    }
    else {
        Write-Host "postprovision: could not grant $role with the signed-in account (it needs an Entra admin role)."
        $pending += $role
    }
}

if ($scope -eq 'mailbox') {
    $mailSend = $assignments | Where-Object { $_.role -eq $roleIds['Mail.Send'] } | Select-Object -First 1
    if ($mailSend) {
        Write-Host ''
        Write-Host 'WARNING: Mail.Send is granted tenant-wide in Entra, so Exchange mailbox scoping has no effect.'
        Write-Host 'Remove it (a tenant admin may have to):'
        Write-Host "  az rest --method DELETE --url '$graph/v1.0/servicePrincipals/$principalId/appRoleAssignments/$($mailSend.id)'"
    }
}

Complete-Hook
