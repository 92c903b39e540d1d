#!/usr/bin/env bash
# Runs every test of Precision Portal on a new Debian 12 machine: installs what the tests need,
# builds, starts a throwaway PostgreSQL cluster for the audit store tests (stopped at the end, pass or fail),
# runs each test project (each starts the servers it needs: portal, identity provider),
# and prints one summary line. Usage: bash infra/test/run-all-tests.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser of its own).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== Installing Debian chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# pdftotext (poppler-utils) reads the text of the tumor board report Chromium prints to PDF.
if ! command -v pdftotext >/dev/null 2>&1; then
  echo "== Installing Debian poppler-utils"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi

# readelf (binutils) checks the TorchSharp loader fix independently of the project's own ELF parser.
if ! command -v readelf >/dev/null 2>&1; then
  echo "== Installing Debian binutils"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils >/dev/null
fi

# OpenMP (libgomp1) for LightGBM's native library, the training evaluation's gradient-boosted-trees peer.
if ! ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1'; then
  echo "== Installing Debian libgomp1"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgomp1 >/dev/null
fi

# The FHIR sandbox's packages (@medplum/fhir-router and a Node 22 binary from the `node` package); the tests start it.
if ! command -v npm >/dev/null 2>&1; then
  echo "== Installing Debian npm"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
echo "== Installing the FHIR sandbox's packages (npm ci)"
(cd infra/fhir-sandbox && npm ci --no-audit --no-fund --loglevel=error)
# axe-core, injected by the browser tests' accessibility scan.
echo "== Installing the accessibility scanner (npm ci)"
(cd infra/test/accessibility && npm ci --no-audit --no-fund --loglevel=error)

# Debian's PostgreSQL for the audit store tests, which run on SQLite and on PostgreSQL (installed here if missing).
. infra/test/postgres.sh
if ! precision_pg_bindir >/dev/null; then
  echo "== Installing Debian postgresql"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

echo "== Building"
dotnet build Precision.Portal.sln -nologo -clp:ErrorsOnly

results=$(mktemp -d)
status=0
# A throwaway cluster (temp directory, random loopback port, trust auth); PRECISION_TEST_POSTGRES points the tests at it.
trap 'precision_pg_stop; rm -rf "$results"' EXIT
precision_pg_start
for project in $(ls -d tests/*.Tests | sort); do
  echo "== Testing $project"
  if ! dotnet test "$project" --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$results/$(basename "$project").log"; then
    status=1
  fi
done

# One closing line over all projects, from each runner's own summary.
cat "$results"/*.log | awk '
  /^Total tests: [0-9]+$/ { runs++ }
  /^ +Passed: [0-9]+$/ { p += $2 }
  /^ +Failed: [0-9]+$/ { f += $2 }
  /^ +Skipped: [0-9]+$/ { s += $2 }
  END { if (runs == 0) { print "No test results found"; exit 1 } printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' || status=1
rm -rf "$results"
exit $status
