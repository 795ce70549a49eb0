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
  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    # The HTML report's rendering test (and the demo's screenshot) use headless Chromium from Debian.
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing Chromium (apt-get)…"
      (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }) \
        || echo "warning: could not install chromium; the rendering test will fail and say so." >&2
    else
      echo "warning: chromium is not installed and this user cannot apt-get it; the rendering test will fail and say so." >&2
    fi
  fi
  echo "Restoring NuGet packages…"
  local log
  log="$(mktemp)"
  if ! dotnet restore "$root/Collectors.sln" -warnaserror -warnnotaserror:NU1603 --verbosity quiet >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}
