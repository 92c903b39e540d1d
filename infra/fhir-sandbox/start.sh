#!/usr/bin/env bash
# Starts the FHIR R4 sandbox for local use: installs its packages on first use (npm ci), then runs server.mjs
# with the Node 22 that the `node` npm package provides (the machine's own Node may be older), passing every
# argument through. Example: infra/fhir-sandbox/start.sh --port 8090 --load infra/fhir-sandbox/test-data
set -euo pipefail
# Runs from the caller's directory, so relative --load paths mean what the caller meant.
here="$(cd "$(dirname "$0")" && pwd)"

if [ ! -x "$here/node_modules/node/bin/node" ] || [ ! -d "$here/node_modules/@medplum/fhir-router" ]; then
  echo "== Installing the FHIR sandbox's packages (npm ci)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

node_bin="$here/node_modules/node/bin/node"
version="$("$node_bin" -p 'process.versions.node')"
IFS=. read -r major minor _ <<<"$version"
if [ "$major" -lt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -lt 18 ]; }; then
  echo "The npm-provided Node is $version; the sandbox needs >= 22.18 (@medplum/fhir-router 5.2.13)." >&2
  exit 1
fi

# Print the base URL up front (the server prints its ready line when it answers).
port="${FHIR_SANDBOX_PORT:-8090}"
host="127.0.0.1"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --port) port="${args[$((i + 1))]:-$port}" ;;
    --port=*) port="${args[$i]#--port=}" ;;
    --host) host="${args[$((i + 1))]:-$host}" ;;
    --host=*) host="${args[$i]#--host=}" ;;
  esac
done
echo "FHIR sandbox (Node $version) starting on http://$host:$port/fhir" >&2

# exec: the server becomes this process, so SIGTERM/SIGINT to start.sh stop it gracefully.
exec "$node_bin" "$here/server.mjs" "$@"
