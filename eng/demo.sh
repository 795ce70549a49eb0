#!/usr/bin/env bash
# The whole product on this machine, in one command: installs what it needs, starts Azurite and the
# tenant simulator on free loopback ports, runs every collector over two simulated days (planted
# violations, faults on), summarises both days (the second shows drift), e-mails both summaries to
# the simulator, verifies the evidence, grants an auditor a read-only SAS and exports the audit package
# and three samples with it, proves the mail's anchor, renders the report to PNG, and stops what it started.
# Everything it leaves is under out/demo/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source eng/prereqs.sh
source eng/azurite.sh

out="$root/out/demo"
rm -rf "$out"
mkdir -p "$out/mail"
started=$(date +%s)
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  azurite_stop
}
trap cleanup EXIT
trap 'echo "demo interrupted" >&2; exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

step "Installing and building"
prereqs_install "$root"
dotnet build Collectors.sln --no-restore -warnaserror -warnnotaserror:NU1603 --verbosity quiet -nologo >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
cli=(dotnet "$root/tools/Collectors.Cli/bin/Debug/net10.0/Collectors.Cli.dll")

step "Starting Azurite and the tenant simulator"
azurite_start "$root"
day1="$(date -u -d '3 days ago' +%Y-%m-%d)"
day2="$(date -u -d '2 days ago' +%Y-%m-%d)"
day3="$(date -u -d '1 days ago' +%Y-%m-%d)"
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
# Two days of data; the Graph reporting limit is scaled from 5 per 10 s to 5 per 0.5 s so the demo is quick.
dotnet "$root/tests/Collectors.Simulator/bin/Debug/net10.0/Collectors.Simulator.dll" \
  --port "$port" --seed 42 --subscriptions 3 --events-per-hour 100 --start "$day1" --days 2 --faults rough \
  --signins-per-hour 90 --audits-per-hour 10 --graph-window-seconds 0.5 \
  --cert "$out/simulator.pem" --mail-dir "$out/mail" >"$out/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 150); do grep -q "listening" "$out/simulator.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening" "$out/simulator.log" || { cat "$out/simulator.log" >&2; exit 1; }
echo "Tenant simulator on https://127.0.0.1:$port/ (data for $day1 and $day2)"

export Evidence__ConnectionString="$AZURITE_CONNECTION_STRING"
export Azure__Credential=Simulator
export Azure__ResourceManagerEndpoint="https://127.0.0.1:$port/"
export Azure__GraphEndpoint="https://127.0.0.1:$port/"
export Azure__AdditionalTrustedCertificate="$out/simulator.pem"
# Every manifest and record is signed with the simulator's Key Vault key (ES256 through the REST API).
export Evidence__SigningKeyId="https://127.0.0.1:$port/keys/evidence-signing"
export Azure__Retry__DelaySeconds=0.2
export Collectors__Graph__WindowSeconds=0.5
# The simulated tenant's deployment pipeline (service principal object id) and platform automation (app id).
export Collectors__ActivityLog__ApprovedDeployers__0=7c2f4e1a-3b5d-4a9e-8f06-1d2c3b4a5e60
export Collectors__ActivityLog__ApprovedDeployers__1=9f8e7d6c-5b4a-4321-8fed-cba987654321
export Collectors__ActivityLog__EvidenceStorageAccountName=stevidencesim
export Summary__Sender=soc2-noreply@contoso.example
export Summary__Recipients__0=security@contoso.example

status=0
# Collector logs (retries under the fault profile, the emulator's immutability warning) go to collect.log.
run() { "${cli[@]}" "$@" >"$out/last.txt" 2>>"$out/collect.log" || status=1; tail -n "${TAIL:-4}" "$out/last.txt"; }
step "Collecting: Activity Log, 3 subscriptions × 2 days (faults on)"
run run activity-log --from "$day1" --to "$day3"
step "Collecting: Entra sign-ins and directory audits, 2 days (paced)"
TAIL=2 run run entra-signins --from "$day1" --to "$day3"
TAIL=2 run run entra-directory-audits --from "$day1" --to "$day3"
step "Collecting: Defender for Cloud snapshots (before and after planted regressions)"
TAIL=3 run run defender-findings
curl -s --cacert "$out/simulator.pem" -H "Authorization: Bearer demo" -X POST "https://127.0.0.1:$port/_simulator/defender?generation=2" >/dev/null
echo "(the simulated tenant moves on: new high-severity findings, a secure-score drop)"
step "Collecting: Azure Policy state-change events (Event Grid → queue → handler)"
# The demo stores events of past days (Microsoft's published 2021 example, drills of the simulated days),
# as one would re-ingest them after an outage: with the age limit raised (docs/events.md).
export Collectors__Events__MaxEventAgeHours=87600
TAIL=2 run ingest-event --file "$root/tests/fixtures/microsoft/eventgrid_egevent_policyinsights_policystatechanged.json"
if [ -f "$root/eng/demo-extra.sh" ]; then source "$root/eng/demo-extra.sh"; fi

step "Daily summaries (the second shows drift) and e-mail"
"${cli[@]}" summary --date "$day1" --send --out "$out" >"$out/summary-$day1.txt" 2>>"$out/collect.log"; head -1 "$out/summary-$day1.txt"
"${cli[@]}" summary --date "$day2" --send --out "$out" >"$out/summary-$day2.txt" 2>>"$out/collect.log"; cat "$out/summary-$day2.txt"

step "Verifying the evidence"
set +e
"${cli[@]}" verify >"$out/verify.txt"
verify_status=$?
set -e
tail -1 "$out/verify.txt"

step "Auditors: a read-only grant, the audit package of both days, three samples"
# The grant is recorded as evidence (auditor-access/grants); the auditor then works with nothing but the URL.
"${cli[@]}" auditor grant --auditor "Dana Reyes <dana.reyes@auditfirm.example>" --days 7 --from "$day1" --to "$day2" >"$out/grant.txt" 2>>"$out/collect.log" || status=1
auditor_sas="$(grep -E '^https?://' "$out/grant.txt" | head -1)"
grep -E '^(Read-only|Recorded|Note)' "$out/grant.txt" || true
rm -rf "$out/audit-package" "$out/audit-package.zip" "$out/samples"
set +e
env -u Evidence__ConnectionString -u Evidence__SigningKeyId "${cli[@]}" export --sas-url "$auditor_sas" --from "$day1" --to "$day2" --out "$out/audit-package" >"$out/export.txt" 2>>"$out/collect.log"
export_status=$?
set -e
cat "$out/export.txt"
sample_status=0
n=0
for stream in $(cd "$out/audit-package/population" 2>/dev/null && ls -d activity-log/*.csv entra-signins/*.csv entra-directory-audits/*.csv 2>/dev/null | sed 's/\.csv$//' | awk -F/ '!seen[$1]++'); do
  n=$((n + 1))
  env -u Evidence__ConnectionString -u Evidence__SigningKeyId "${cli[@]}" sample --sas-url "$auditor_sas" --stream "$stream" --from "$day1" --to "$day2" \
    --count 5 --seed "demo-$n" --out "$out/samples/$n" >"$out/sample-$n.txt" 2>>"$out/collect.log" || sample_status=1
  head -2 "$out/sample-$n.txt"
done
[ "$n" -eq 3 ] || sample_status=1

step "Anchors: the digest in the mail proves nothing was cut"
anchor="$(grep -oE '[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}' "$out/mail/mail-002.html" | head -1)"
thumbprint="$(sed -n '/^Signing keys/{n;p}' "$out/verify.txt" | awk '{print $1}')"
echo "Anchor digest in the mail of $day2: $anchor; signing key thumbprint: $thumbprint"
set +e
"${cli[@]}" verify --anchor "$anchor" --trusted-key "$thumbprint" >"$out/verify-anchor.txt" 2>&1
anchor_status=$?
set -e
echo "collectors verify --anchor $anchor --trusted-key …: $(tail -1 "$out/verify-anchor.txt") (exit $anchor_status)"
# An attacker with the storage key deletes the newest manifest of one stream (on Azure, version-level WORM
# keeps the deleted version; Azurite has no WORM). The anchored head is gone: verify must say so.
cut="$(node -e 'const s=require(process.argv[1]);console.log(s.anchor.heads.find(h=>h.stream.startsWith("activity-log/")).manifest)' "$out/summary-$day2.json")"
account_key="$(printf '%s' "$AZURITE_CONNECTION_STRING" | sed -n 's/.*AccountKey=\([^;]*\);.*/\1/p')"
expiry="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
signature="$(printf 'devstoreaccount1\nd\nb\no\n\n%s\n\nhttp,https\n2020-12-06\n\n' "$expiry" \
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(printf '%s' "$account_key" | base64 -d | od -An -tx1 | tr -d ' \n')" -binary | base64 -w0)"
sas="sv=2020-12-06&ss=b&srt=o&sp=d&se=$expiry&spr=http,https&sig=$(node -e 'console.log(encodeURIComponent(process.argv[1]))' "$signature")"
deleted="$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$AZURITE_PORT/devstoreaccount1/evidence/$cut?$sas")"
echo "Deleted $cut (HTTP $deleted)"
set +e
"${cli[@]}" verify --anchor "$anchor" --trusted-key "$thumbprint" >"$out/verify-after-cut.txt" 2>&1
cut_status=$?
set -e
grep -m1 -A1 "head-missing" "$out/verify-after-cut.txt" | sed 's/^ *//' || true
echo "collectors verify --anchor after the cut: $(tail -1 "$out/verify-after-cut.txt") (exit $cut_status, 1 expected)"

step "Rendering the report"
png=""
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -n "$browser" ]; then
  profile="$(mktemp -d)"
  "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --no-first-run --disable-sync --hide-scrollbars --user-data-dir="$profile" --window-size=1100,1700 \
    --screenshot="$out/summary-$day2.png" "file://$out/summary-$day2.html" >/dev/null 2>&1 || true
  rm -rf "$profile"
  [ -f "$out/summary-$day2.png" ] && png="$out/summary-$day2.png"
fi
[ -n "$png" ] && echo "Screenshot: $png" || echo "Chromium is not installed: no screenshot (apt-get install chromium)."

step "Demo report"
echo "Collected:"
sed -n '/^Streams/,/^$/p' "$out/verify.txt" | sed 's/^/  /'
echo "Per criterion ($day2):"
grep -E '^  (PASS|FAIL|ERROR) ' "$out/summary-$day2.txt" || true
echo "Verify: $(tail -1 "$out/verify.txt") (exit $verify_status)"
echo "Report:        $out/summary-$day2.html"
echo "Summary JSON:  $out/summary-$day2.json"
echo "E-mails sent:  $(ls "$out/mail"/*.html 2>/dev/null | tr '\n' ' ')"
echo "Screenshot:    ${png:-none}"
echo "Took $(( $(date +%s) - started )) s."
echo "Anchor:        $anchor (verify --anchor: exit $anchor_status before the cut, $cut_status after)"
echo "Audit package: $out/audit-package/ and $out/audit-package.zip (export exit $export_status; made before the cut)"
echo "Samples:       $out/samples/1..3 (exit $sample_status)"
[ "$verify_status" -eq 0 ] && [ "$status" -eq 0 ] && [ "$anchor_status" -eq 0 ] && [ "$cut_status" -eq 1 ] && [ "$export_status" -eq 0 ] && [ "$sample_status" -eq 0 ]
