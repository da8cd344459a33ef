#!/usr/bin/env bash
# Runs the tests with Node's and the embedded Postgres's clock a year ahead (Debian's faketime), to
# prove that no test depends on today's date. faketime cannot move the Go nats-server's clock, so the
# suites whose correctness rests on NATS's store times agreeing with the services' clocks (the
# aggregator's sealing windows, ingest's duplicate look-ups by store time) are left out; every other
# unit, integration and end-to-end test runs. Usage: scripts/test-clock-ahead.sh [offset, default +365d]
set -euo pipefail
cd "$(dirname "$0")/.."
offset="${1:-+365d}"
if ! command -v faketime >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's faketime" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q faketime >&2 || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q faketime >&2; }
  fi
  command -v faketime >/dev/null || { echo "needs faketime (apt-get install faketime)" >&2; exit 2; }
fi
node scripts/bootstrap.mjs
npx pnpm exec tsc -b
unset NATS_URL DATABASE_URL # the embedded servers are started under the shifted clock (NATS is not moved)
echo "clock: $(faketime -f "$offset" date -u +%FT%TZ) (real $(date -u +%FT%TZ))"
left_out='services/aggregator/src/(aggregator|processes)\.int\.test\.ts|services/ingest/src/(duplicates|restart|stream)\.int\.test\.ts'
mapfile -t files < <(npx pnpm exec vitest list --filesOnly | sed -E 's/^\[[a-z0-9]+\] //' | grep -Ev "$left_out" | sort -u)
echo "running ${#files[@]} test files; left out: $left_out"
exec faketime -f "$offset" npx pnpm exec vitest run "${files[@]}"
