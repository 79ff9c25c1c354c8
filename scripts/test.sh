#!/usr/bin/env bash
# The whole test suite, set-up included: `bash scripts/test.sh` (README).
# Idempotent: installs what is missing (as root, with apt-get), makes sure
# PostgreSQL 15 runs with pg_stat_statements preloaded and HypoPG available,
# creates the dbperf_test database, exports its URL, runs `cargo test`.
# Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

PGVER=15
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres)

echo "== packages"
missing=()
dpkg -s "postgresql-$PGVER-hypopg" >/dev/null 2>&1 || missing+=("postgresql-$PGVER-hypopg")
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

echo "== PostgreSQL $PGVER"
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PGVER" '$1==v && $2=="main" && $4=="online"' | grep -q .; then
  pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done

preload=$("${PSQL[@]}" -Atc "SHOW shared_preload_libraries")
if [[ ",${preload// /}," != *",pg_stat_statements,"* ]]; then
  # A list of quoted names, not one quoted string: '$a,$b' would name a
  # single library called "a,b" and the server would not start.
  list=""
  IFS=',' read -ra libs <<< "${preload// /}"
  for l in "${libs[@]}" pg_stat_statements; do
    [ -n "$l" ] && list="${list:+$list, }'$l'"
  done
  "${PSQL[@]}" -c "ALTER SYSTEM SET shared_preload_libraries = $list"
  pg_ctlcluster --skip-systemctl-redirect "$PGVER" main restart
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
fi

"${PSQL[@]}" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'dbperf_test'" | grep -q 1 \
  || "${PSQL[@]}" -d postgres -c "CREATE DATABASE dbperf_test"
"${PSQL[@]}" -d dbperf_test -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
  -c "CREATE EXTENSION IF NOT EXISTS hypopg"

# The workload tests read the entries of the traffic they drive, a report
# run once among them: a pg_stat_statements near its max evicts the
# least-used entries to make room, those first. On this test server the
# counters are test data: cleared when more than half full.
full=$("${PSQL[@]}" -d dbperf_test -Atc \
  "SELECT count(*) > current_setting('pg_stat_statements.max')::int / 2 FROM pg_stat_statements")
if [ "$full" = t ]; then
  echo "pg_stat_statements more than half full: reset"
  "${PSQL[@]}" -d dbperf_test -Atc "SELECT pg_stat_statements_reset()" >/dev/null
fi

export DBPERF_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/dbperf_test"

echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run: cargo prints one summary per test
# binary, and the last one (doc tests) says little.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
