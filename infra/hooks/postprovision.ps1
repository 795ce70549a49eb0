# azd postprovision hook (windows). Grants the app's managed identity the Microsoft Graph application
# permissions the collectors need, which no ARM/Bicep template can grant:
#   AuditLog.Read.All  Entra sign-in logs and directory audits
#   Mail.Send          the daily summary email, only with MAIL_SEND_SCOPE=tenant (see below)
# and prints the JWK thumbprint of the evidence signing key, which auditors pass to
# `collectors verify --trusted-key`, and stores it in the azd environment.
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
#   MAIL_SEND_SCOPE      mailbox (default) do not grant Mail.Send in Entra; print the Exchange Online
#                        RBAC for Applications commands for SUMMARY_SENDER only, and warn if a
#                        tenant-wide grant exists (it would make the scoping ineffective)
#                        tenant  grant Mail.Send in Entra: the app may send as ANY mailbox (warned)
#   EVIDENCE_SIGNING_KEY_ID           output of infra/bicep/main.bicep: the versionless key URI
#   EVIDENCE_SIGNING_KEY_THUMBPRINT   the thumbprint stored by the previous run, if any
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$graphAppId = '00000003-0000-0000-c000-000000000000'
$principalId = $env:AZURE_MANAGED_IDENTITY_PRINCIPAL_ID
$clientId = if ($env:AZURE_MANAGED_IDENTITY_CLIENT_ID) { $env:AZURE_MANAGED_IDENTITY_CLIENT_ID } else { '<client id of the managed identity>' }
$identityName = if ($env:AZURE_MANAGED_IDENTITY_NAME) { $env:AZURE_MANAGED_IDENTITY_NAME } else { 'collectors' }
$sender = $env:SUMMARY_SENDER
$scope = if ($env:MAIL_SEND_SCOPE) { $env:MAIL_SEND_SCOPE } else { 'mailbox' }
$signingKeyId = $env:EVIDENCE_SIGNING_KEY_ID
$previousThumbprint = $env:EVIDENCE_SIGNING_KEY_THUMBPRINT

if (-not $principalId) {
    Write-Error "postprovision: AZURE_MANAGED_IDENTITY_PRINCIPAL_ID is not set; run 'azd provision' first."
    exit 1
}

# @(): a single role must stay an array (StrictMode has no .Count on a lone string).
$roles = @(switch ($scope) {
    'mailbox' { @('AuditLog.Read.All') }
    'tenant' {
        Write-Host 'WARNING: MAIL_SEND_SCOPE=tenant grants Mail.Send in Entra: the app may send mail as ANY mailbox in'
        Write-Host 'the tenant. Unset it (azd env set MAIL_SEND_SCOPE mailbox) to allow only SUMMARY_SENDER, through Exchange Online.'
        @('AuditLog.Read.All', 'Mail.Send')
    }
    default {
        Write-Error "postprovision: MAIL_SEND_SCOPE must be 'mailbox' (the default: the summary sender only) or 'tenant' (any mailbox), not '$scope'."
        exit 1
    }
})

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
    if ($scope -eq 'mailbox') {
        Write-Host 'Mail.Send for the one sender mailbox (MAIL_SEND_SCOPE=mailbox, the default): until an Exchange'
        Write-Host 'Administrator or Organization Management member runs this in Exchange Online PowerShell, the daily'
        Write-Host 'summary cannot be sent (Graph answers 403):'
    }
    else {
        Write-Host 'Restricting Mail.Send to the one sender mailbox (Exchange Online RBAC for Applications; an'
        Write-Host 'Exchange Administrator or Organization Management member runs this in Exchange Online PowerShell):'
    }
    Write-Host '  Connect-ExchangeOnline'
    Write-Host "  New-ServicePrincipal -AppId $clientId -ObjectId $principalId -DisplayName '$identityName'"
    Write-Host "  New-ManagementScope -Name 'Collectors summary sender' -RecipientRestrictionFilter `"PrimarySmtpAddress -eq '$mailbox'`""
    Write-Host "  New-ManagementRoleAssignment -App $principalId -Role 'Application Mail.Send' -CustomResourceScope 'Collectors summary sender'"
    Write-Host "  Test-ServicePrincipalAuthorization -Identity $principalId -Resource '$mailbox'"
    Write-Host 'Exchange grants ADD to Entra grants: while Mail.Send is also granted in Entra (MAIL_SEND_SCOPE=tenant),'
    Write-Host 'the app can still send as any mailbox. Keep MAIL_SEND_SCOPE=mailbox, remove the Entra grant, and allow'
    Write-Host 'up to 2 hours for Exchange to apply the change. See docs/deploy.md.'
}

# Runs az and returns its output, or $null when it fails.
function Invoke-Az {
    param([string[]] $Arguments)
    $output = & az @Arguments 2>$null
    if ($LASTEXITCODE -ne 0) { return $null }
    return ($output -join "`n").Trim()
}

# --- The evidence signing key's JWK thumbprint (RFC 7638) -------------------------------------------

# az prints a key's coordinates in base64 or base64url depending on its version; both encode the same
# bytes, so translating the alphabet and dropping the padding gives the JWK form exactly.
function ConvertTo-Base64Url([string] $Value) {
    return $Value.Trim().TrimEnd('=').Replace('+', '-').Replace('/', '_')
}

function Write-SigningKeyLater {
    Write-Host '  When it can, run: azd hooks run postprovision'
    Write-Host "  (or compute it from 'az keyvault key show --id $signingKeyId': SHA-256 over"
    Write-Host '  {"crv":"P-256","kty":"EC","x":"<x>","y":"<y>"}, base64url without padding; docs/deploy.md).'
}

# Reads the public key and prints and stores its thumbprint. Never fails the hook: the app is deployed
# and signs whether or not the thumbprint was printed here.
function Write-SigningKey {
    Write-Host ''
    if (-not $signingKeyId) {
        Write-Host "Evidence signing key: EVIDENCE_SIGNING_KEY_ID is not set (an older deployment?); run 'azd provision'."
        return
    }
    if (-not (Get-Command az -ErrorAction SilentlyContinue) -or $null -eq (Invoke-Az @('account', 'show'))) {
        Write-Host "Evidence signing key $($signingKeyId): the Azure CLI is missing or not signed in, so its thumbprint is not known."
        Write-SigningKeyLater
        return
    }

    # The deployer's Key Vault Reader role on the key was just assigned and may take a while to apply.
    $shown = $null
    for ($attempt = 1; $attempt -le 6; $attempt++) {
        $shown = Invoke-Az @('keyvault', 'key', 'show', '--id', $signingKeyId, '--query', 'key.{kid: kid, kty: kty, crv: crv, x: x, y: y}', '-o', 'json')
        if ($shown) { break }
        if ($attempt -lt 6) { Start-Sleep -Seconds 10 }
    }
    if (-not $shown) {
        Write-Host "Evidence signing key $($signingKeyId): could not read its public key with the signed-in account."
        Write-Host '  It needs Key Vault Reader on the key (the template grants it to AZURE_PRINCIPAL_ID; new roles can take minutes).'
        Write-SigningKeyLater
        return
    }

    $key = $shown | ConvertFrom-Json
    if ($key.crv -ne 'P-256' -or $key.kty -notin @('EC', 'EC-HSM') -or -not $key.x -or -not $key.y) {
        Write-Host "Evidence signing key $($signingKeyId): expected an EC P-256 key, got kty '$($key.kty)', crv '$($key.crv)'."
        return
    }
    $x = ConvertTo-Base64Url $key.x
    $y = ConvertTo-Base64Url $key.y
    # A P-256 coordinate is 32 bytes: 43 base64url characters.
    if ($x.Length -ne 43 -or $y.Length -ne 43) {
        Write-Host "Evidence signing key $($signingKeyId): its coordinates are not 32 bytes each (x '$($key.x)', y '$($key.y)'); not computing a thumbprint."
        return
    }

    # RFC 7638: the required members in lexicographic order, no white space; kty is EC for EC-HSM keys too.
    $jwk = '{"crv":"P-256","kty":"EC","x":"' + $x + '","y":"' + $y + '"}'
    $sha256 = [System.Security.Cryptography.SHA256]::Create()
    try {
        $hash = $sha256.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($jwk))
    }
    finally {
        $sha256.Dispose()
    }
    $thumbprint = ConvertTo-Base64Url ([Convert]::ToBase64String($hash))

    Write-Host "Evidence signing key: $($key.kid)"
    Write-Host "  JWK thumbprint (RFC 7638, SHA-256): $thumbprint"
    Write-Host "  Give it to your auditors: it is what they pass to 'collectors verify --trusted-key $thumbprint'."
    if ($previousThumbprint -and $previousThumbprint -ne $thumbprint) {
        Write-Host "WARNING: the signing key changed: the previous thumbprint was $previousThumbprint. Evidence signed"
        Write-Host '  before verifies only with that one; give auditors both (docs/deploy.md, "The evidence signing key").'
    }
    $stored = $false
    if (Get-Command azd -ErrorAction SilentlyContinue) {
        & azd env set EVIDENCE_SIGNING_KEY_THUMBPRINT $thumbprint *> $null
        $stored = $LASTEXITCODE -eq 0
    }
    if ($stored) {
        Write-Host '  Stored in the azd environment as EVIDENCE_SIGNING_KEY_THUMBPRINT.'
    }
    else {
        Write-Host "  Could not store it in the azd environment; run: azd env set EVIDENCE_SIGNING_KEY_THUMBPRINT $thumbprint"
    }
}

function Complete-Hook {
    if ($script:pending.Count -gt 0) { Write-AdminCommands }
    Write-MailboxScoping
    Write-SigningKey
    exit 0
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
