#!/usr/bin/env bash
# Benchmark: index advisors on TPC-H SF1, the yardstick of Kossmann et al.
# (PVLDB 13(11), 2020, "Magic mirror in my hand, which is the best in the
# land? An Experimental Evaluation of Index Selection Algorithms").
#
# Generates SF1 with tpchgen-cli (`cargo install tpchgen-cli --locked`) into
# $TPCH_DATA (not committed), loads it into the database workloads_tpch with
# primary keys only (fixtures/workloads/tpch/schema.sql, keys.sql), then asks
# each advisor for indexes for the 22 queries of
# fixtures/workloads/tpch/queries/ (the specification's validation
# parameters) and reports each set's relative workload cost: the sum of
# EXPLAIN's total costs with the set's indexes as HypoPG hypothetical
# indexes ÷ the same sum without them (benches/tpch_eval.py cost), over the
# 22 queries and over the paper's 19 (without 2, 17, 20), with the set's
# estimated size.
#   dbperf     `dbperf advise --db … --queries …`, with each --budget in
#              $BUDGETS when dbperf has that option
#   supabase   index_advisor() per query (SQL of supabase/index_advisor)
#   hyrise     Extend, DB2Advis (at each budget of $BUDGETS MB), AutoAdmin
#              (at each count of $AUTOADMIN_MAX indexes), from hyrise/index_selection_
#              evaluation at $HYRISE_DIR (skipped when unset)
#
# Usage: PGURL=postgres://postgres@127.0.0.1:5432 bash benches/tpch.sh
#   BUDGETS="500 1500"  HYRISE_DIR=/path/with/selection/  INDEX_ADVISOR_SQL=…
#   SQL_SF=0.1 DB=…     load fixtures/workloads/tpch/generate.sql at that scale
#                       factor instead of tpchgen-cli's SF1 (BUDGETS then in
#                       proportion, e.g. "50 150")
# Needs HypoPG on the server, python3 with psycopg2. Results: benches/results/tpch/.
set -euo pipefail
cd "$(dirname "$0")/.."
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
BUDGETS=${BUDGETS:-500 1500}
AUTOADMIN_MAX=${AUTOADMIN_MAX:-5 10}
TPCH_DATA=${TPCH_DATA:-/var/tmp/workloads_tpch_sf1}
DB=${DB:-workloads_tpch}
URL=$PGURL/$DB
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
fix=fixtures/workloads/tpch
out=${OUT:-benches/results/tpch}
mkdir -p "$out"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# psycopg2 and hyrise's connector take the PG* variables.
eval "$(python3 - "$PGURL" <<'PY'
import sys, urllib.parse as u
p = u.urlparse(sys.argv[1])
print(f"export PGHOST={p.hostname or '127.0.0.1'} PGPORT={p.port or 5432} PGUSER={p.username or 'postgres'}")
PY
)"

if ! "${PSQL[@]}" "$PGURL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
   && [ -n "${SQL_SF:-}" ]; then
  # Without tpchgen-cli: the TPC-H-shaped generator in plain SQL at scale
  # factor $SQL_SF (fixtures/workloads/tpch/generate.sql; not dbgen's data).
  log "loading $DB from generate.sql at SF $SQL_SF"
  "${PSQL[@]}" "$PGURL/postgres" -c "CREATE DATABASE ${DB}_build"
  nice -n 19 "${PSQL[@]}" -v sf="$SQL_SF" "$PGURL/${DB}_build" -f "$fix/schema.sql" -f "$fix/generate.sql" \
    -f "$fix/keys.sql" -c "VACUUM ANALYZE" -c "CREATE EXTENSION IF NOT EXISTS hypopg" > /dev/null
  "${PSQL[@]}" "$PGURL/postgres" -c "ALTER DATABASE ${DB}_build RENAME TO $DB"
fi
if ! "${PSQL[@]}" "$PGURL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  if [ ! -f "$TPCH_DATA/lineitem.tbl" ]; then
    log "generating TPC-H SF1 into $TPCH_DATA"
    mkdir -p "$TPCH_DATA"
    nice -n 19 tpchgen-cli -s 1 --output-dir "$TPCH_DATA"
  fi
  log "loading $DB"
  "${PSQL[@]}" "$PGURL/postgres" -c "CREATE DATABASE ${DB}_build"
  "${PSQL[@]}" "$PGURL/${DB}_build" -f "$fix/schema.sql"
  for t in region nation part supplier partsupp customer orders lineitem; do
    sed 's/|$//' "$TPCH_DATA/$t.tbl" | nice -n 19 "${PSQL[@]}" "$PGURL/${DB}_build" -c "\copy $t FROM STDIN (DELIMITER '|')"
  done
  nice -n 19 "${PSQL[@]}" "$PGURL/${DB}_build" -f "$fix/keys.sql" -c "VACUUM ANALYZE" -c "CREATE EXTENSION IF NOT EXISTS hypopg"
  "${PSQL[@]}" "$PGURL/postgres" -c "ALTER DATABASE ${DB}_build RENAME TO $DB"
fi
"${PSQL[@]}" "$URL" -c "CREATE EXTENSION IF NOT EXISTS hypopg"

sets=()
log "dbperf"
nice -n 15 cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/dbperf
cat "$fix"/queries/*.sql > "$out/queries.sql"
advise() { # NAME [ARGS…]
  local name=$1; shift
  "$bin" advise --db "$URL" --queries "$out/queries.sql" --format json "$@" > "$out/$name.json" 2> "$out/$name.stderr" || true
  python3 benches/index_advice.py dbperf "$out/$name.json" "$out/$name.sql"
  sets+=("$out/$name.sql")
}
advise dbperf
if "$bin" advise --help 2>&1 | grep -q -- '--budget'; then
  # In bytes, 1 MB = 10^6 as the hyrise algorithms count budget_MB (and
  # as the report's sizes are), not dbperf's MB = 2^20.
  for b in $BUDGETS; do advise "dbperf_${b}MB" --budget "${b}000000"; done
fi

log "supabase index_advisor"
advisor_sql=${INDEX_ADVISOR_SQL:-}
if [ -z "$advisor_sql" ]; then
  advisor_sql=$out/index_advisor.sql
  git --git-dir=/work/.mirror/supabase+index_advisor/repo show HEAD:index_advisor--0.2.0.sql > "$advisor_sql"
fi
"${PSQL[@]}" "$URL" -f "$advisor_sql" > /dev/null
python3 benches/tpch_eval.py supabase "$DB" "$fix/queries" "$out/supabase.sql"
"${PSQL[@]}" "$URL" -c "DROP FUNCTION index_advisor(text)"
sets+=("$out/supabase.sql")

if [ -n "${HYRISE_DIR:-}" ]; then
  for b in $BUDGETS; do
    for algo in extend db2advis; do
      log "hyrise $algo at $b MB"
      python3 benches/tpch_eval.py hyrise "$HYRISE_DIR" "$DB" "$fix/queries" "$algo" \
        "{\"budget_MB\": $b, \"max_index_width\": 2}" "$out/${algo}_${b}MB.sql"
      sets+=("$out/${algo}_${b}MB.sql")
    done
  done
  for n in $AUTOADMIN_MAX; do
    log "hyrise auto_admin at $n indexes"
    python3 benches/tpch_eval.py hyrise "$HYRISE_DIR" "$DB" "$fix/queries" auto_admin \
      "{\"max_indexes\": $n, \"max_index_width\": 2}" "$out/auto_admin_${n}.sql"
    sets+=("$out/auto_admin_${n}.sql")
  done
fi

log "relative workload costs"
python3 benches/tpch_eval.py cost "$DB" "$fix/queries" "${sets[@]}" | tee "$out/report.txt"
