#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: installs Debian's PostgreSQL when missing, creates a cluster in a
# temporary directory (trust authentication, loopback only, socket in the same directory, a free port), exports its
# connection string as PRECISION_TEST_POSTGRES, and stops it by its data directory (pg_ctl stop) and removes it.
#
# Sourced:   . infra/test/postgres.sh; precision_pg_start; trap precision_pg_stop EXIT
# Or run:    bash infra/test/postgres.sh -- dotnet test tests/Portal.Server.Tests   (starts, runs, always stops)

precision_pg_as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

precision_pg_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

precision_pg_start() {
  if ! precision_pg_bindir >/dev/null; then
    echo "== Installing Debian postgresql"
    precision_pg_as_root apt-get update -qq
    precision_pg_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local bin; bin=$(precision_pg_bindir)
  PRECISION_PG_DIR=$(mktemp -d /tmp/precision-pg.XXXXXX)
  chmod 755 "$PRECISION_PG_DIR"
  # initdb refuses to run as root: the cluster belongs to the postgres user (created by the package) when we are root.
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$PRECISION_PG_DIR"
    run=(runuser -u postgres --)
  fi
  PRECISION_PG_RUN=("${run[@]}")
  PRECISION_PG_BIN=$bin
  "${run[@]}" "$bin/initdb" -D "$PRECISION_PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale -N >"$PRECISION_PG_DIR/initdb.log" 2>&1 \
    || { cat "$PRECISION_PG_DIR/initdb.log"; return 1; }
  # A free loopback port, asked from the kernel; retried if another process takes it before the server binds.
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    if "${run[@]}" "$bin/pg_ctl" -D "$PRECISION_PG_DIR/data" -l "$PRECISION_PG_DIR/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PRECISION_PG_DIR -c max_connections=200 -c shared_buffers=128MB" start >/dev/null; then
      PRECISION_PG_PORT=$port
      export PRECISION_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
      echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $PRECISION_PG_DIR)"
      return 0
    fi
  done
  cat "$PRECISION_PG_DIR/server.log"
  return 1
}

precision_pg_stop() {
  if [ -n "${PRECISION_PG_DIR:-}" ] && [ -d "$PRECISION_PG_DIR/data" ]; then
    "${PRECISION_PG_RUN[@]}" "$PRECISION_PG_BIN/pg_ctl" -D "$PRECISION_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PRECISION_PG_DIR"
    echo "== PostgreSQL stopped"
  fi
  PRECISION_PG_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || { echo "usage: bash infra/test/postgres.sh -- COMMAND..." >&2; exit 2; }
  trap precision_pg_stop EXIT
  precision_pg_start
  "$@"
fi
