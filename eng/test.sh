#!/usr/bin/env bash
# Runs every test: installs what it needs, compiles infra/bicep (eng/bicep.sh, unless it already ran
# for this tree), builds with warnings as errors, starts Azurite, runs `dotnet test Collectors.sln`,
# stops Azurite, and ends with one line "N passed, N failed[, N skipped]".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source eng/prereqs.sh
source eng/azurite.sh

prereqs_install "$root"
# The infrastructure tests read out/bicep/; a run of eng/bicep.sh that is newer than every file it
# reads is reused (.ci/run calls it just before this script).
if [ ! -f out/bicep/main.json ] || [ -n "$(find infra/bicep tests/Collectors.Tests/Infra/Parameters eng/bicep.sh -newer out/bicep/main.json -type f -print -quit)" ]; then
  ./eng/bicep.sh
fi
echo "Building (warnings are errors; NU1603 only is exempt)…"
dotnet build Collectors.sln --no-restore -warnaserror -warnnotaserror:NU1603 --verbosity quiet -nologo

results="$(mktemp -d -t collectors-test-XXXXXX)"
trap 'azurite_stop; rm -rf "$results"' EXIT
azurite_start "$root"
export COLLECTORS_TEST_STORAGE="$AZURITE_CONNECTION_STRING"

set +e
dotnet test --solution Collectors.sln --no-build --report-trx --results-directory "$results" "$@"
status=$?
set -e

passed=0; failed=0; skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  p=$({ grep -o '<UnitTestResult [^>]*outcome="Passed"' "$trx" || true; } | wc -l)
  f=$({ grep -o '<UnitTestResult [^>]*outcome="Failed"' "$trx" || true; } | wc -l)
  s=$({ grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$trx" || true; } | wc -l)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
if [ $((passed + failed + skipped)) -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "error: the test run reported no results" >&2
  status=1
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
