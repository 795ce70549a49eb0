# Sourced by eng/*.sh: checks the tools and installs the project's own dependencies.

prereqs_install() {
  local root="$1"
  for tool in dotnet node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "error: '$tool' is not on PATH. Install the .NET 10 SDK and Node.js 20 or newer." >&2
      return 2
    fi
  done
  if [ ! -f "$root/node_modules/azurite/dist/src/blob/main.js" ]; then
    echo "Installing Azurite (npm ci)…"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  echo "Restoring NuGet packages…"
  dotnet restore "$root/Collectors.sln" -warnaserror -warnnotaserror:NU1603 --verbosity quiet
}
