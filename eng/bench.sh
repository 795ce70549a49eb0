#!/usr/bin/env bash
# Benchmarks against a real Azurite. Usage: eng/bench.sh [writer] [record counts…]
# Each case runs in a fresh process (Release build), so its peak working set is its own.
# Figures are printed as key=value lines; see docs/benchmarks.md for how to read them.
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
trap 'azurite_stop' EXIT
azurite_start "$root"
for n in "${counts[@]}"; do
  dotnet "tests/Collectors.Benchmarks/bin/Release/net10.0/Collectors.Benchmarks.dll" "$scenario" --records "$n" --size 1536
done
