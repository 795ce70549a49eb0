# Sourced by eng/*.sh: starts Azurite's blob service on a free loopback port, in memory, and stops it on exit.
# Sets AZURITE_PORT and AZURITE_CONNECTION_STRING. Needs node_modules (npm ci).

azurite_start() {
  local root="$1"
  AZURITE_DIR="$(mktemp -d -t collectors-azurite-XXXXXX)"
  AZURITE_PORT="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  node "$root/node_modules/azurite/dist/src/blob/main.js" \
    --blobHost 127.0.0.1 --blobPort "$AZURITE_PORT" \
    --skipApiVersionCheck --inMemoryPersistence --disableTelemetry --silent \
    >"$AZURITE_DIR/azurite.log" 2>&1 &
  AZURITE_PID=$!
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$AZURITE_PORT") 2>/dev/null; then
      break
    fi
    if ! kill -0 "$AZURITE_PID" 2>/dev/null; then
      echo "Azurite exited before listening:" >&2
      cat "$AZURITE_DIR/azurite.log" >&2
      return 1
    fi
    sleep 0.1
  done
  # The well-known development account key of the storage emulator (public, not a secret).
  AZURITE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$AZURITE_PORT/devstoreaccount1;"
  export AZURITE_PORT AZURITE_CONNECTION_STRING
  echo "Azurite blob service on 127.0.0.1:$AZURITE_PORT (pid $AZURITE_PID)"
}

azurite_stop() {
  if [ -n "${AZURITE_PID:-}" ] && kill -0 "$AZURITE_PID" 2>/dev/null; then
    kill "$AZURITE_PID" 2>/dev/null || true
    wait "$AZURITE_PID" 2>/dev/null || true
  fi
  [ -n "${AZURITE_DIR:-}" ] && rm -rf "$AZURITE_DIR"
  AZURITE_PID=
}
