#!/usr/bin/env bash
# Benchmarks against a real Azurite (and, for activity-log, the tenant simulator in its own process).
# Usage: eng/bench.sh writer|activity-log|entra-signins|events|fanout [counts…]   (default counts: 100000 1000000; events: 900;
#        fanout: worker counts, 1 4 16)
# Each case runs in a fresh process (Release build), so its peak working set is its own.
# Figures are printed as key=value lines; docs/benchmarks.md records and explains them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source eng/prereqs.sh
source eng/azurite.sh

scenario="${1:-writer}"
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)

prereqs_install "$root"
dotnet build tests/Collectors.Benchmarks -c Release --no-restore -warnaserror -warnnotaserror:NU1603 --verbosity quiet -nologo
bench="tests/Collectors.Benchmarks/bin/Release/net10.0/Collectors.Benchmarks.dll"
work="$(mktemp -d -t collectors-bench-XXXXXX)"
sim_pid=""
queue_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  [ -n "$queue_pid" ] && kill "$queue_pid" 2>/dev/null || true
  azurite_stop
  rm -rf "$work"
}
trap cleanup EXIT
azurite_start "$root"

case "$scenario" in
  writer)
    for n in "${counts[@]}"; do
      dotnet "$bench" writer --records "$n" --size 1536
    done
    ;;
  activity-log)
    dotnet build tests/Collectors.Simulator -c Release --no-restore -warnaserror -warnnotaserror:NU1603 --verbosity quiet -nologo
    start="$(date -u -d '2 days ago' +%Y-%m-%d)"
    for n in "${counts[@]}"; do
      # A fresh Azurite for each count: its in-memory store slows as blobs accumulate, and one run's
      # evidence would otherwise slow the next (docs/benchmarks.md, "Fan-out").
      azurite_stop
      azurite_start "$root"
      port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
      # One subscription, one day, n events; ARM's read token bucket off so the figure measures the code,
      # not the 25 reads/s per principal that real ARM allows (see docs/benchmarks.md).
      dotnet tests/Collectors.Simulator/bin/Release/net10.0/Collectors.Simulator.dll \
        --port "$port" --seed 42 --subscriptions 1 --days 1 --start "$start" \
        --events-per-hour $(( (n + 23) / 24 )) --cert "$work/sim.pem" --arm-token-bucket false >"$work/sim.log" 2>&1 &
      sim_pid=$!
      for _ in $(seq 1 100); do grep -q "listening" "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
      dotnet "$bench" activity-log --simulator "https://127.0.0.1:$port/" --cert "$work/sim.pem" --start "$start"
      kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
    done
    ;;
  entra-signins)
    # counts are sign-ins per day; each runs twice: at Graph's real limit (5 per 10 s) and unpaced.
    dotnet build tests/Collectors.Simulator -c Release --no-restore -warnaserror -warnnotaserror:NU1603 --verbosity quiet -nologo
    start="$(date -u -d '2 days ago' +%Y-%m-%d)"
    for n in "${counts[@]}"; do
      for mode in "5 10" "0 10"; do
        set -- $mode
        port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
        dotnet tests/Collectors.Simulator/bin/Release/net10.0/Collectors.Simulator.dll \
          --port "$port" --seed 42 --subscriptions 1 --days 1 --start "$start" --signins-per-hour $(( (n + 23) / 24 )) \
          --graph-limit "$1" --graph-window-seconds "$2" --cert "$work/sim.pem" >"$work/sim.log" 2>&1 &
        sim_pid=$!
        for _ in $(seq 1 100); do grep -q "listening" "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
        dotnet "$bench" entra-signins --simulator "https://127.0.0.1:$port/" --cert "$work/sim.pem" --start "$start" --limit "$1" --window "$2"
        kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
      done
    done
    ;;
  events)
    # A burst into one stream: 48 messages at once, 25 ms added to every storage request; with group
    # commit (the default) and with one manifest per chain claim and lease (--batch 1), for comparison.
    [ "${counts[0]}" = "100000" ] && counts=(900)
    for n in "${counts[@]}"; do
      for batch in 64 1; do
        dotnet "$bench" events --events "$n" --concurrency 48 --latency-ms 25 --batch "$batch"
      done
    done
    ;;
  fanout)
    # 200 subscriptions × one day of Activity Log, ARM's read token bucket on (250, 25/s per subscription and
    # principal), FANOUT_LATENCY_MS (default 250) of service time per ARM request and FANOUT_WINDOW_MINUTES
    # (default 60) windows; the timer's work items go through a real Azurite queue and are run by N consumers
    # (the counts: 1 4 16). See docs/benchmarks.md for why these defaults.
    [ "${counts[0]}" = "100000" ] && counts=(1 4 16)
    latency="${FANOUT_LATENCY_MS:-250}"
    window_minutes="${FANOUT_WINDOW_MINUTES:-60}"
    subscriptions="${FANOUT_SUBSCRIPTIONS:-200}"
    dotnet build tests/Collectors.Simulator -c Release --no-restore -warnaserror -warnnotaserror:NU1603 --verbosity quiet -nologo
    start="$(date -u -d '2 days ago' +%Y-%m-%d)"
    queue_port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
    node "$root/node_modules/azurite/dist/src/queue/main.js" --queueHost 127.0.0.1 --queuePort "$queue_port" \
      --skipApiVersionCheck --inMemoryPersistence --disableTelemetry --silent >"$work/azurite-queue.log" 2>&1 &
    queue_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$queue_port") 2>/dev/null && break; sleep 0.1; done
    queue="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;"
    for n in "${counts[@]}"; do
      port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
      dotnet tests/Collectors.Simulator/bin/Release/net10.0/Collectors.Simulator.dll \
        --port "$port" --seed 42 --subscriptions "$subscriptions" --days 1 --start "$start" --events-per-hour 4 \
        --arm-latency-ms "$latency" --cert "$work/sim.pem" >"$work/sim.log" 2>&1 &
      sim_pid=$!
      for _ in $(seq 1 100); do grep -q "listening" "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
      dotnet "$bench" fanout --simulator "https://127.0.0.1:$port/" --cert "$work/sim.pem" --start "$start" \
        --subscriptions "$subscriptions" --events-per-hour 4 --workers "$n" --latency-ms "$latency" --window-minutes "$window_minutes" --queue "$queue" \
        --azurite-pid "$AZURITE_PID" --simulator-pid "$sim_pid"
      kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
    done
    kill "$queue_pid" 2>/dev/null || true
    ;;
  *)
    echo "usage: eng/bench.sh writer|activity-log|entra-signins|events [counts…]" >&2
    exit 2
    ;;
esac
