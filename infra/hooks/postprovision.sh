#!/bin/sh
# azd postprovision hook (posix). Grants the app's managed identity the Microsoft Graph application
# permissions the collectors need, which no ARM/Bicep template can grant:
#   AuditLog.Read.All  Entra sign-in logs and directory audits
#   Mail.Send          the daily summary email (see MAIL_SEND_SCOPE below)
# Idempotent: looks up the Microsoft Graph service principal (appId 00000003-0000-0000-c000-000000000000)
# and the app roles by value, and POSTs an appRoleAssignment only where one is missing. Granting
# application permissions of Microsoft Graph needs a Privileged Role Administrator or Global
# Administrator (Cloud Application Administrator and Application Administrator may grant other APIs'
# app roles, not Microsoft Graph's); without that right it prints the exact commands for a tenant
# admin and exits 0, so that `azd up` still deploys the app.
#
# Environment (azd passes its environment to hooks):
#   AZURE_MANAGED_IDENTITY_PRINCIPAL_ID / _CLIENT_ID / _NAME   outputs of infra/bicep/main.bicep
#   SUMMARY_SENDER       the summary's sender mailbox, for the Exchange scoping commands
#   MAIL_SEND_SCOPE      tenant  (default) grant Mail.Send in Entra: the app may send as ANY mailbox
#                        mailbox do not grant it in Entra; print the Exchange Online RBAC for
#                        Applications commands that allow exactly SUMMARY_SENDER, and warn if a
#                        tenant-wide grant exists (it would make the scoping ineffective)
set -eu

graph_app_id="00000003-0000-0000-c000-000000000000"
principal_id="${AZURE_MANAGED_IDENTITY_PRINCIPAL_ID:-}"
client_id="${AZURE_MANAGED_IDENTITY_CLIENT_ID:-<client id of the managed identity>}"
identity_name="${AZURE_MANAGED_IDENTITY_NAME:-collectors}"
sender="${SUMMARY_SENDER:-}"
scope="${MAIL_SEND_SCOPE:-tenant}"

if [ -z "$principal_id" ]; then
  echo "postprovision: AZURE_MANAGED_IDENTITY_PRINCIPAL_ID is not set; run 'azd provision' first." >&2
  exit 1
fi

case "$scope" in
  tenant) roles="AuditLog.Read.All Mail.Send" ;;
  mailbox) roles="AuditLog.Read.All" ;;
  *)
    echo "postprovision: MAIL_SEND_SCOPE must be 'tenant' or 'mailbox', not '$scope'." >&2
    exit 1
    ;;
esac

# App role ids as looked up in this tenant's Microsoft Graph service principal; until then the
# well-known ids, used only in the printed commands.
audit_role_id="b0afded3-3588-46d8-8b3d-9842eff778da"
mail_role_id="b633e1c5-b582-4048-a93e-9f11b44c7e96"
role_id_of() {
  case "$1" in
    AuditLog.Read.All) echo "$audit_role_id" ;;
    Mail.Send) echo "$mail_role_id" ;;
  esac
}

graph="https://graph.microsoft.com"
graph_sp=""
pending=""

print_admin_commands() {
  echo ""
  echo "A tenant administrator (Privileged Role Administrator or Global Administrator) must grant these"
  echo "Microsoft Graph application permissions to the"
  echo "managed identity '$identity_name' (service principal $principal_id):"
  echo ""
  sp="${graph_sp:-\$(az ad sp show --id $graph_app_id --query id -o tsv)}"
  for role in $pending; do
    role_id="$(role_id_of "$role")"
    echo "  # $role"
    echo "  az rest --method POST --url '$graph/v1.0/servicePrincipals/$principal_id/appRoleAssignments' \\"
    echo "    --headers Content-Type=application/json \\"
    echo "    --body '{\"principalId\":\"$principal_id\",\"resourceId\":\"'\"$sp\"'\",\"appRoleId\":\"$role_id\"}'"
    echo ""
  done
  echo "or, in PowerShell with Microsoft.Graph:"
  echo "  Connect-MgGraph -Scopes AppRoleAssignment.ReadWrite.All,Application.Read.All"
  echo "  \$graph = Get-MgServicePrincipal -Filter \"appId eq '$graph_app_id'\""
  for role in $pending; do
    echo "  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $principal_id -PrincipalId $principal_id -ResourceId \$graph.Id -AppRoleId (\$graph.AppRoles | Where-Object { \$_.Value -eq '$role' -and \$_.AllowedMemberTypes -contains 'Application' }).Id"
  done
  echo ""
  echo "Then re-run: azd hooks run postprovision"
}

print_mailbox_scoping() {
  mailbox="${sender:-<sender mailbox, SUMMARY_SENDER>}"
  echo ""
  echo "Restricting Mail.Send to the one sender mailbox (Exchange Online RBAC for Applications; an"
  echo "Exchange Administrator or Organization Management member runs this in Exchange Online PowerShell):"
  echo "  Connect-ExchangeOnline"
  echo "  New-ServicePrincipal -AppId $client_id -ObjectId $principal_id -DisplayName '$identity_name'"
  echo "  New-ManagementScope -Name 'Collectors summary sender' -RecipientRestrictionFilter \"PrimarySmtpAddress -eq '$mailbox'\""
  echo "  New-ManagementRoleAssignment -App $principal_id -Role 'Application Mail.Send' -CustomResourceScope 'Collectors summary sender'"
  echo "  Test-ServicePrincipalAuthorization -Identity $principal_id -Resource '$mailbox'"
  echo "Exchange grants ADD to Entra grants: while Mail.Send is also granted in Entra (MAIL_SEND_SCOPE=tenant),"
  echo "the app can still send as any mailbox. Set MAIL_SEND_SCOPE=mailbox (azd env set MAIL_SEND_SCOPE mailbox),"
  echo "remove the Entra grant, and allow up to 2 hours for Exchange to apply the change. See docs/deploy.md."
}

finish() {
  if [ -n "$pending" ]; then
    print_admin_commands
  fi
  print_mailbox_scoping
  exit 0
}

if ! command -v az >/dev/null 2>&1; then
  echo "postprovision: the Azure CLI (az) is not installed, so Microsoft Graph permissions were not granted."
  pending="$roles"
  finish
fi
if ! az account show >/dev/null 2>&1; then
  echo "postprovision: the Azure CLI is not signed in ('az login'), so Microsoft Graph permissions were not granted."
  pending="$roles"
  finish
fi

graph="$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv 2>/dev/null | sed 's#/*$##')"
[ -n "$graph" ] || graph="https://graph.microsoft.com"

graph_sp="$(az rest --method GET --url "$graph/v1.0/servicePrincipals(appId='$graph_app_id')?\$select=id" --query id -o tsv 2>/dev/null || true)"
if [ -z "$graph_sp" ]; then
  echo "postprovision: could not read the Microsoft Graph service principal with the signed-in account."
  pending="$roles"
  finish
fi

# A new managed identity takes a while to replicate to Microsoft Graph.
existing=""
attempt=1
while :; do
  if existing="$(az rest --method GET --url "$graph/v1.0/servicePrincipals/$principal_id/appRoleAssignments" --query "value[?resourceId=='$graph_sp'].[appRoleId, id]" -o tsv 2>/dev/null)"; then
    break
  fi
  if [ "$attempt" -ge 6 ]; then
    echo "postprovision: the managed identity $principal_id is not visible in Microsoft Graph yet."
    pending="$roles"
    finish
  fi
  attempt=$((attempt + 1))
  sleep 10
done

lookup_role_id() {
  az rest --method GET --url "$graph/v1.0/servicePrincipals/$graph_sp?\$select=appRoles" \
    --query "appRoles[?value=='$1' && contains(allowedMemberTypes, 'Application')].id | [0]" -o tsv 2>/dev/null || true
}
audit_role_id="$(lookup_role_id AuditLog.Read.All)"
mail_role_id="$(lookup_role_id Mail.Send)"
if [ -z "$audit_role_id" ] || [ -z "$mail_role_id" ]; then
  echo "postprovision: could not find the AuditLog.Read.All and Mail.Send application roles of Microsoft Graph." >&2
  exit 1
fi

for role in $roles; do
  role_id="$(role_id_of "$role")"
  if printf '%s\n' "$existing" | grep -qi "^$role_id"; then
    echo "postprovision: $role is already granted."
    continue
  fi
  body="{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp\",\"appRoleId\":\"$role_id\"}"
  if az rest --method POST --url "$graph/v1.0/servicePrincipals/$principal_id/appRoleAssignments" \
    --headers Content-Type=application/json --body "$body" >/dev/null 2>&1; then
    echo "postprovision: granted $role."
  else
    echo "postprovision: could not grant $role with the signed-in account (it needs an Entra admin role)."
    pending="$pending $role"
  fi
done

if [ "$scope" = "mailbox" ]; then
  mail_send_assignment="$(printf '%s\n' "$existing" | grep -i "^$mail_role_id" | cut -f2 || true)"
  if [ -n "$mail_send_assignment" ]; then
    echo ""
    echo "WARNING: Mail.Send is granted tenant-wide in Entra, so Exchange mailbox scoping has no effect."
    echo "Remove it (a tenant admin may have to):"
    echo "  az rest --method DELETE --url '$graph/v1.0/servicePrincipals/$principal_id/appRoleAssignments/$mail_send_assignment'"
  fi
fi

finish
