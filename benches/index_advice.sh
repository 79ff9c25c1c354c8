#!/usr/bin/env bash
# Benchmark: whose indexes make a workload fastest? For one workload of
# fixtures/workloads/<domain>/ it loads the schema and data into a scratch
# database, drives the same pgbench traffic (one client, a fixed number of
# transactions, a fixed random seed) four times, and measures pgbench's tps
# and pg_stat_statements' mean time per statement with:
#   none      the schema's own indexes (primary keys, unique constraints)
#   dbperf    + `dbperf analyze --db … --format json` → .indexes[].statement
#             (and each index's `requires`), advised after the baseline run
#             while the same traffic runs (as against staging)
#   dba       + fixtures/workloads/<domain>/dba.sql (see EXPECTED.md there)
#   supabase  + supabase's index_advisor() run on every workload statement
#             (the SQL of github.com/supabase/index_advisor, loaded into the
#             scratch database; it needs HypoPG)
# and prints a table of ratios. Results of a run: benches/results/.
#
# Fairness between configurations: each is measured twice, in the order
#   none, dbperf, dba, supabase, supabase, dba, dbperf, none
# (a mirror, so a drift over the run, of the machine's load, of the data the
# traffic writes, of what the caches hold, weighs on every configuration
# alike), and the figures are the two passes together. Before each pass the
# server is restarted when RESTART gives the command (shared_buffers empty),
# then VACUUM ANALYZE and the same warm-up run: each pass starts from the
# same state, whatever was built or measured before it.
#
# Usage: PGURL=postgres://postgres@127.0.0.1:5432 bash benches/index_advice.sh helpdesk
#   TXNS=100            pgbench transactions per configuration
#   INDEX_ADVISOR_SQL   path of index_advisor--0.2.0.sql (default: taken
#                       from a fetched mirror of supabase/index_advisor)
#   KEEP=1              keep the scratch database afterwards
#   DBPERF_BIN          a dbperf binary to use instead of building one
#   RESTART             a shell command that restarts the server, run before
#                       each pass (e.g. `pg_ctl -D DATADIR restart -m fast -w`
#                       for a private cluster); without it the server is not
#                       restarted and only the mirrored order evens things out
#   WARMUP=10           warm-up transactions before each pass
# Needs: a server with pg_stat_statements preloaded, HypoPG and pg_trgm
# installed, pgbench, python3 with psycopg2; it builds dbperf --release.
# pg_stat_statements is never reset: each run's figures are the difference
# of two snapshots. The scratch database is workloads_bench_<domain>, a
# copy of workloads_bench_<domain>_tpl (kept between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
domain=${1:?usage: benches/index_advice.sh DOMAIN (a folder of fixtures/workloads/)}
dir=fixtures/workloads/$domain
[ -f "$dir/schema_data.sql" ] || { echo "index_advice.sh: no $dir/schema_data.sql" >&2; exit 2; }
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
TXNS=${TXNS:-100}
DB=workloads_bench_$domain
URL=$PGURL/$DB
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
out=benches/results/$domain
rm -rf "$out" && mkdir -p "$out"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

advisor_sql=${INDEX_ADVISOR_SQL:-}
if [ -z "$advisor_sql" ]; then
  advisor_sql=$out/index_advisor.sql
  git --git-dir=/work/.mirror/supabase+index_advisor/repo show HEAD:index_advisor--0.2.0.sql > "$advisor_sql"
fi

if [ -n "${DBPERF_BIN:-}" ]; then
  bin=$DBPERF_BIN
else
  log "building dbperf (release)"
  nice -n 15 cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/dbperf
fi

# The data is loaded once into a template database (kept, and rebuilt when
# schema_data.sql changes); each run copies it. The copy has a new OID, so
# the load's own statements are not in its pg_stat_statements entries: the
# advisors see the pgbench traffic only.
TPL=${DB}_tpl
sum=$(md5sum "$dir/schema_data.sql" | cut -c1-32)
have=$("${PSQL[@]}" "$PGURL/postgres" -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$TPL'")
if [ "$have" != "$sum" ]; then
  log "loading $dir into $TPL"
  "${PSQL[@]}" "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $TPL" -c "CREATE DATABASE $TPL"
  nice -n 19 "${PSQL[@]}" -o /dev/null "$PGURL/$TPL" -f "$dir/schema_data.sql"
  "${PSQL[@]}" "$PGURL/$TPL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "CREATE EXTENSION IF NOT EXISTS hypopg"
  "${PSQL[@]}" "$PGURL/postgres" -c "COMMENT ON DATABASE $TPL IS '$sum'"
fi
log "copying $TPL to $DB"
"${PSQL[@]}" "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB TEMPLATE $TPL"

# Indexes the schema ships with besides its constraints' (a partial UNIQUE
# index, say): part of every configuration, never dropped.
shipped=$("${PSQL[@]}" "$URL" -Atc "SELECT coalesce(string_agg(i.indexrelid::text, ','), '0')
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = '$domain'::regnamespace")

# The pgbench arguments: one -f script@weight per line of the weights file.
scripts=()
while read -r f w; do [ -n "$f" ] && scripts+=(-f "$dir/$f@$w"); done < "$dir/weights"

snapshot() {
  "${PSQL[@]}" "$URL" -c "\copy (SELECT queryid, calls, total_exec_time, query FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) TO '$1' CSV"
}

# Drop every index of the domain's schema that no constraint owns.
reset_indexes() {
  "${PSQL[@]}" "$URL" <<SQL
SELECT format('DROP INDEX %s', i.indexrelid::regclass)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace = '$domain'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
   AND i.indexrelid NOT IN ($shipped) \gexec
DROP EXTENSION IF EXISTS pg_trgm;
DROP EXTENSION IF EXISTS btree_gist;
SQL
}

# Build a set of index statements (one per line); failures are counted, not fatal.
apply_set() {
  local name=$1 file=$2 ok=0 failed=0
  while IFS= read -r stmt; do
    case "$stmt" in ''|--*) continue ;; esac
    if psql -X -q "$URL" -c "$stmt" >> "$out/$name.apply.log" 2>&1; then ok=$((ok + 1)); else
      failed=$((failed + 1)); echo "FAILED: $stmt" >> "$out/$name.apply.log"; fi
  done < "$file"
  local size
  size=$("${PSQL[@]}" "$URL" -Atc "SELECT pg_size_pretty(coalesce(sum(pg_relation_size(i.indexrelid)), 0))
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE c.relnamespace = '$domain'::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
      AND i.indexrelid NOT IN ($shipped)")
  echo "$ok built, $failed failed, $size" > "$out/$name.meta"
}

# Restart the server (when RESTART says how) and wait until it answers.
restart() {
  [ -n "${RESTART:-}" ] || return 0
  bash -c "$RESTART" > /dev/null
  for _ in $(seq 1 60); do "${PSQL[@]}" "$URL" -c "SELECT 1" > /dev/null 2>&1 && return 0; sleep 1; done
  echo "index_advice.sh: the server did not come back after RESTART" >&2; exit 2
}

# One pass of a configuration: `measure NAME PASS`; figures in NAME.PASS.*.
measure() {
  local name=$1 pass=$2 f=$out/$1.$2
  restart
  "${PSQL[@]}" "$URL" -c "VACUUM ANALYZE"
  log "$name (pass $pass): warm-up and $TXNS measured transactions"
  pgbench -n -c 1 -t "${WARMUP:-10}" --random-seed=7 "${scripts[@]}" "$URL" > "$f.warmup.pgbench" 2>&1 \
    || { echo "index_advice.sh: pgbench failed, see $f.warmup.pgbench" >&2; exit 2; }
  snapshot "$f.before.csv"
  pgbench -n -c 1 -t "$TXNS" --random-seed=16 "${scripts[@]}" "$URL" > "$f.pgbench" 2>&1 \
    || { echo "index_advice.sh: pgbench failed, see $f.pgbench" >&2; exit 2; }
  snapshot "$f.after.csv"
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$f.pgbench" > "$f.tps"
}

echo "0 built (primary keys, unique constraints and the schema's own indexes only)" > "$out/none.meta"
measure none 1

# A DBA runs dbperf against staging while the application's traffic runs:
# dbperf reads the constants pg_stat_statements turned into $n (a full-text
# configuration) from pg_stat_activity. The same traffic (the warm-up's
# seed) runs in the background for as long as dbperf does; it runs before
# the three measured configurations alike.
log "dbperf analyze (traffic running)"
pgbench -n -c 1 -T 3600 --random-seed=7 "${scripts[@]}" "$URL" > "$out/dbperf.traffic.pgbench" 2>&1 &
traffic=$!
sleep 1
"$bin" analyze --db "$URL" --format json > "$out/dbperf.json" 2> "$out/dbperf.stderr" || true
kill "$traffic" 2>/dev/null || true
wait "$traffic" 2>/dev/null || true
python3 benches/index_advice.py dbperf "$out/dbperf.json" "$out/dbperf.sql"

log "supabase index_advisor"
"${PSQL[@]}" "$URL" -f "$advisor_sql" > /dev/null
python3 benches/index_advice.py supabase "$URL" "$out/supabase.sql" "$out"
"${PSQL[@]}" "$URL" -c "DROP FUNCTION index_advisor(text)"

grep -v '^--' "$dir/dba.sql" > "$out/dba.sql"
# The mirrored order (see the top): none (pass 1, above), dbperf, dba,
# supabase, then supabase again (its indexes still built), dba, dbperf, none.
built=none
for step in dbperf:1 dba:1 supabase:1 supabase:2 dba:2 dbperf:2 none:2; do
  cfg=${step%:*} pass=${step#*:}
  if [ "$cfg" != "$built" ]; then
    log "$cfg: building its indexes"
    reset_indexes
    [ "$cfg" = none ] || { : > "$out/$cfg.apply.log"; apply_set "$cfg" "$out/$cfg.sql"; }
    built=$cfg
  fi
  measure "$cfg" "$pass"
done
reset_indexes

{
  python3 benches/index_advice.py report "$out"
  for cfg in dbperf supabase; do
    echo; echo "$cfg against the DBA's set:"; python3 benches/index_advice.py compare "$out/dba.sql" "$out/$cfg.sql" "$dir/alternatives.sql"
    if [ -f "$dir/avoid.sql" ]; then
      echo "$cfg against the indexes not to build: $(python3 benches/index_advice.py compare "$dir/avoid.sql" "$out/$cfg.sql" | sed -n 1p)"
    fi
  done
  echo; echo "dbperf: $(jq -c '.workload' "$out/dbperf.json" 2>/dev/null)"
} | tee "$out/report.txt"
[ -n "${KEEP:-}" ] || "${PSQL[@]}" "$PGURL/postgres" -c "DROP DATABASE $DB"
