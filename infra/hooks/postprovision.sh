#!/bin/sh
# azd postprovision hook (posix). Grants the app's managed identity the Microsoft Graph application
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
# admin and exits 0, so that `azd up` still deploys the app.
#
# Environment (azd passes its environment to hooks):
#   AZURE_MANAGED_IDENTITY_PRINCIPAL_ID / _CLIENT_ID / _NAME   outputs of infra/bicep/main.bicep
#   SUMMARY_SENDER       the summary's sender mailbox, for the Exchange scoping commands
#   MAIL_SEND_SCOPE      mailbox (default) do not grant Mail.Send in Entra; print the Exchange Online
#                        RBAC for Applications commands that allow exactly SUMMARY_SENDER, and warn
#                        if a tenant-wide grant exists (it would make the scoping ineffective)
#                        tenant  grant Mail.Send in Entra: the app may send as ANY mailbox (warned)
#   EVIDENCE_SIGNING_KEY_ID           output of infra/bicep/main.bicep: the versionless key URI
#   EVIDENCE_SIGNING_KEY_THUMBPRINT   the thumbprint stored by the previous run, if any
#
# Needs only az and POSIX tools (awk, tr, and one of sha256sum, shasum or openssl); no jq.
set -eu

graph_app_id="00000003-0000-0000-c000-000000000000"
principal_id="${AZURE_MANAGED_IDENTITY_PRINCIPAL_ID:-}"
client_id="${AZURE_MANAGED_IDENTITY_CLIENT_ID:-<client id of the managed identity>}"
identity_name="${AZURE_MANAGED_IDENTITY_NAME:-collectors}"
sender="${SUMMARY_SENDER:-}"
scope="${MAIL_SEND_SCOPE:-mailbox}"
signing_key_id="${EVIDENCE_SIGNING_KEY_ID:-}"
previous_thumbprint="${EVIDENCE_SIGNING_KEY_THUMBPRINT:-}"

if [ -z "$principal_id" ]; then
  echo "postprovision: AZURE_MANAGED_IDENTITY_PRINCIPAL_ID is not set; run 'azd provision' first." >&2
  exit 1
fi

case "$scope" in
  mailbox) roles="AuditLog.Read.All" ;;
  tenant)
    roles="AuditLog.Read.All Mail.Send"
    echo "WARNING: MAIL_SEND_SCOPE=tenant grants Mail.Send in Entra: the app may send mail as ANY mailbox in"
    echo "the tenant. Unset it (azd env set MAIL_SEND_SCOPE mailbox) to allow only SUMMARY_SENDER, through Exchange Online."
    ;;
  *)
    echo "postprovision: MAIL_SEND_SCOPE must be 'mailbox' (the default: the summary sender only) or 'tenant' (any mailbox), not '$scope'." >&2
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
  if [ "$scope" = "mailbox" ]; then
    echo "Mail.Send for the one sender mailbox (MAIL_SEND_SCOPE=mailbox, the default): until an Exchange"
    echo "Administrator or Organization Management member runs this in Exchange Online PowerShell, the daily"
    echo "summary cannot be sent (Graph answers 403):"
  else
    echo "Restricting Mail.Send to the one sender mailbox (Exchange Online RBAC for Applications; an"
    echo "Exchange Administrator or Organization Management member runs this in Exchange Online PowerShell):"
  fi
  echo "  Connect-ExchangeOnline"
  echo "  New-ServicePrincipal -AppId $client_id -ObjectId $principal_id -DisplayName '$identity_name'"
  echo "  New-ManagementScope -Name 'Collectors summary sender' -RecipientRestrictionFilter \"PrimarySmtpAddress -eq '$mailbox'\""
  echo "  New-ManagementRoleAssignment -App $principal_id -Role 'Application Mail.Send' -CustomResourceScope 'Collectors summary sender'"
  echo "  Test-ServicePrincipalAuthorization -Identity $principal_id -Resource '$mailbox'"
  echo "Exchange grants ADD to Entra grants: while Mail.Send is also granted in Entra (MAIL_SEND_SCOPE=tenant),"
  echo "the app can still send as any mailbox. Keep MAIL_SEND_SCOPE=mailbox, remove the Entra grant, and allow"
  echo "up to 2 hours for Exchange to apply the change. See docs/deploy.md."
}

# --- The evidence signing key's JWK thumbprint (RFC 7638) -------------------------------------------

# Hex SHA-256 of standard input, with whichever tool the machine has.
sha256_hex() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r | cut -d' ' -f1
  else
    return 1
  fi
}

# Hex on standard input to base64url without padding (RFC 4648 section 5), in POSIX awk.
hex_to_base64url() {
  awk '
    function byte(k) { return (index(digits, substr(hex, 2 * k + 1, 1)) - 1) * 16 + index(digits, substr(hex, 2 * k + 2, 1)) - 1 }
    BEGIN { alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"; digits = "0123456789abcdef" }
    {
      hex = tolower($0); n = length(hex) / 2; out = ""
      for (i = 0; i < n; i += 3) {
        triple = byte(i) * 65536 + (i + 1 < n ? byte(i + 1) * 256 : 0) + (i + 2 < n ? byte(i + 2) : 0)
        out = out substr(alphabet, int(triple / 262144) % 64 + 1, 1) substr(alphabet, int(triple / 4096) % 64 + 1, 1)
        if (i + 1 < n) out = out substr(alphabet, int(triple / 64) % 64 + 1, 1)
        if (i + 2 < n) out = out substr(alphabet, triple % 64 + 1, 1)
      }
      print out
    }'
}

# az prints a key's coordinates in base64 or base64url depending on its version; both encode the same
# bytes, so translating the alphabet and dropping the padding gives the JWK form exactly.
to_base64url() {
  printf '%s' "$1" | tr '+/' '-_' | tr -d '=\r\n'
}

print_signing_key_later() {
  echo "  When it can, run: azd hooks run postprovision"
  echo "  (or compute it from 'az keyvault key show --id $signing_key_id': SHA-256 over"
  echo "  {\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"<x>\",\"y\":\"<y>\"}, base64url without padding; docs/deploy.md)."
}

# Reads the public key and prints and stores its thumbprint. Never fails the hook: the app is deployed
# and signs whether or not the thumbprint was printed here.
report_signing_key() {
  echo ""
  if [ -z "$signing_key_id" ]; then
    echo "Evidence signing key: EVIDENCE_SIGNING_KEY_ID is not set (an older deployment?); run 'azd provision'."
    return 0
  fi
  if ! command -v az >/dev/null 2>&1 || ! az account show >/dev/null 2>&1; then
    echo "Evidence signing key $signing_key_id: the Azure CLI is missing or not signed in, so its thumbprint is not known."
    print_signing_key_later
    return 0
  fi

  # The deployer's Key Vault Reader role on the key was just assigned and may take a while to apply.
  fields=""
  attempt=1
  while :; do
    if fields="$(az keyvault key show --id "$signing_key_id" --query "[key.kid, key.kty, key.crv, key.x, key.y]" -o tsv 2>/dev/null)" && [ -n "$fields" ]; then
      break
    fi
    if [ "$attempt" -ge 6 ]; then
      echo "Evidence signing key $signing_key_id: could not read its public key with the signed-in account."
      echo "  It needs Key Vault Reader on the key (the template grants it to AZURE_PRINCIPAL_ID; new roles can take minutes)."
      print_signing_key_later
      return 0
    fi
    attempt=$((attempt + 1))
    sleep 10
  done

  # shellcheck disable=SC2086 # one field per line, none contains white space
  set -- $fields
  if [ "$#" -ne 5 ] || [ "$3" != "P-256" ] || { [ "$2" != "EC" ] && [ "$2" != "EC-HSM" ]; }; then
    echo "Evidence signing key $signing_key_id: expected an EC P-256 key, got: $(printf '%s' "$fields" | tr '\n' ' ')" >&2
    return 0
  fi
  kid="$1"
  x="$(to_base64url "$4")"
  y="$(to_base64url "$5")"
  # A P-256 coordinate is 32 bytes: 43 base64url characters.
  if [ "${#x}" -ne 43 ] || [ "${#y}" -ne 43 ]; then
    echo "Evidence signing key $signing_key_id: its coordinates are not 32 bytes each (x '$4', y '$5'); not computing a thumbprint." >&2
    return 0
  fi

  # RFC 7638: the required members in lexicographic order, no white space; kty is EC for EC-HSM keys too.
  jwk="{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"$x\",\"y\":\"$y\"}"
  if ! hex="$(printf '%s' "$jwk" | sha256_hex)" || [ "${#hex}" -ne 64 ]; then
    echo "Evidence signing key: no SHA-256 tool (sha256sum, shasum or openssl) found; its thumbprint is not known."
    print_signing_key_later
    return 0
  fi
  thumbprint="$(printf '%s\n' "$hex" | hex_to_base64url)"

  echo "Evidence signing key: $kid"
  echo "  JWK thumbprint (RFC 7638, SHA-256): $thumbprint"
  echo "  Give it to your auditors: it is what they pass to 'collectors verify --trusted-key $thumbprint'."
  if [ -n "$previous_thumbprint" ] && [ "$previous_thumbprint" != "$thumbprint" ]; then
    echo "WARNING: the signing key changed: the previous thumbprint was $previous_thumbprint. Evidence signed"
    echo "  before verifies only with that one; give auditors both (docs/deploy.md, \"The evidence signing key\")."
  fi
  if command -v azd >/dev/null 2>&1 && azd env set EVIDENCE_SIGNING_KEY_THUMBPRINT "$thumbprint" >/dev/null 2>&1; then
    echo "  Stored in the azd environment as EVIDENCE_SIGNING_KEY_THUMBPRINT."
  else
    echo "  Could not store it in the azd environment; run: azd env set EVIDENCE_SIGNING_KEY_THUMBPRINT $thumbprint"
  fi
}

finish() {
  if [ -n "$pending" ]; then
    print_admin_commands
  fi
  print_mailbox_scoping
  report_signing_key
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
