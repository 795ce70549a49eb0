#!/usr/bin/env bash
# Lints and compiles infra/bicep with the real bicep CLI, then evaluates the test parameter sets.
#
# The CLI comes from the NuGet package Azure.Bicep.CommandLine.linux-x64 (eng/bicep/bicep.proj),
# restored into tools/bicep/ (gitignored): no download other than NuGet. Any linter warning or error
# fails the run. Outputs, all gitignored:
#   out/bicep/main.json               the compiled ARM template (what azd deploys)
#   out/bicep/<set>.snapshot.json     `bicep snapshot` of tests/Collectors.Tests/Infra/Parameters/<set>.bicepparam:
#                                     every resource the template would create, expressions evaluated
#                                     offline where they do not depend on deployed resources
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="0.49.2"
packages="$root/tools/bicep/packages"
out="$root/out/bicep"
parameters="$root/tests/Collectors.Tests/Infra/Parameters"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *)
    echo "error: eng/bicep.sh restores the linux-x64 bicep CLI; this machine is $(uname -s)-$(uname -m). Set BICEP to a bicep $version binary to use another." >&2
    [ -n "${BICEP:-}" ] || exit 2
    ;;
esac

bicep="${BICEP:-$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep}"
if [ ! -f "$bicep" ]; then
  echo "Restoring the bicep CLI $version from NuGet…"
  dotnet restore "$root/eng/bicep/bicep.proj" --packages "$packages" --verbosity quiet -nologo
fi
if [ ! -f "$bicep" ]; then
  echo "error: the bicep CLI is not at $bicep after restoring eng/bicep/bicep.proj." >&2
  exit 2
fi
[ -x "$bicep" ] || chmod +x "$bicep"
if ! "$bicep" --version | grep -q "Bicep CLI version $version "; then
  echo "error: $bicep is not bicep $version ($("$bicep" --version))." >&2
  exit 2
fi

# Runs bicep; prints what it said; fails on a non-zero exit or on any Warning or Error diagnostic
# (bicep exits 0 when there are only warnings).
run_bicep() {
  local said status=0
  said="$("$bicep" "$@" 2>&1)" || status=$?
  [ -z "$said" ] || printf '%s\n' "$said"
  if [ "$status" -ne 0 ] || printf '%s\n' "$said" | grep -Eq ' : (Warning|Error) '; then
    echo "error: 'bicep $1' reported problems (every linter warning counts)." >&2
    return 1
  fi
}

mkdir -p "$out"
echo "Linting infra/bicep…"
run_bicep lint --pattern "infra/bicep/**/*.bicep"

echo "Compiling infra/bicep/main.bicep…"
run_bicep build "$root/infra/bicep/main.bicep" --outfile "$out/main.json"

# Fixed, fake ids: the snapshots are compared by the tests, not deployed.
for set in "$parameters"/*.bicepparam; do
  name="$(basename "$set" .bicepparam)"
  echo "Evaluating parameter set '$name'…"
  rm -f "$parameters/$name.snapshot.json"
  run_bicep snapshot "$set" --mode overwrite \
    --tenant-id 00000000-0000-0000-0000-0000000000ff \
    --subscription-id 00000000-0000-0000-0000-00000000000a \
    --location westeurope
  mv "$parameters/$name.snapshot.json" "$out/$name.snapshot.json"
done

echo "Compiled template: $out/main.json"
