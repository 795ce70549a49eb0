# Sourced by eng/demo.sh when present (uses its cli, out, port, day1, day2, day3, root and run):
# DR drill evidence — three drills through the event handler, then the simulator's vault jobs.

step "DR drills (dr-tests) and vault jobs (dr-jobs)"
export Collectors__DrTests__Workloads__0__Name=payments
export Collectors__DrTests__Workloads__0__RtoMinutes=60
export Collectors__DrTests__Workloads__0__RpoMinutes=15
export Collectors__DrTests__Workloads__1__Name=orders-db
export Collectors__DrTests__Workloads__2__Name=search
export Collectors__DrTests__Workloads__2__RtoMinutes=30

dr_event() { # id workload scenario ended result achievedRto achievedRpo
  cat <<JSON
{"specversion":"1.0","id":"demo-$1-$day1","source":"/demo/dr-drills","subject":"workloads/$2","type":"Collectors.DrTest.Completed","time":"${4}","data":{"drillId":"$1","workload":"$2","scenario":"$3","startedAt":"${day1}T01:00:00Z","endedAt":"$4","targetRtoMinutes":60,"achievedRtoMinutes":$6,"targetRpoMinutes":15,"achievedRpoMinutes":$7,"result":"$5","runBy":"demo@contoso.example","links":["https://dev.azure.com/contoso/ops/_build/results?buildId=1"]}}
JSON
}
dr_event drill-payments payments region-failover "${day1}T01:42:00Z" passed 42 3 >"$out/dr-passing.json"
dr_event drill-orders orders-db database-restore "${day2}T02:30:00Z" failed null null >"$out/dr-failed.json"
dr_event drill-search search backup-restore "${day2}T03:15:00Z" passed 55 10 >"$out/dr-over-target.json"
for f in dr-passing dr-failed dr-over-target; do
  TAIL=1 run ingest-event --file "$out/$f.json"
done

# The simulator's fault profile is on: ask until an answer lists the subscriptions.
sub0=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  sub0="$(curl -s --cacert "$out/simulator.pem" -H "Authorization: Bearer demo" "https://127.0.0.1:$port/subscriptions?api-version=2022-12-01" | grep -o '"subscriptionId":"[^"]*"' | head -1 | cut -d'"' -f4 || true)"
  [ -n "$sub0" ] && break
  sleep 0.2
done
[ -n "$sub0" ] || { echo "the simulator did not list its subscriptions" >&2; status=1; }
export Collectors__DrJobs__Vaults__0="/subscriptions/$sub0/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/rsv-demo"
TAIL=2 run run dr-jobs --from "$day1" --to "$day3"
