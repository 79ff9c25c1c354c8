#!/usr/bin/env bash
# Benchmark: `dbperf analyze --db postgres://…` on a database with 500 tables
# and 5,000 distinct pg_stat_statements entries, HypoPG verification of the
# top 100 statements (goal: under 10 s).
#
# Generates the database dbperf_bench_pg500 at run time if it is missing
# (500 tables of 5,000 rows; about a minute), then runs 5,000 distinct
# statements (10 shapes per table, each 3 times with other values, so they
# outlive pg_stat_statements' eviction of rarely used entries), then times
# the release binary. Nothing generated is committed.
#
# Usage: PGURL=postgres://postgres@127.0.0.1:5432 bash benches/pg_analyze.sh
# Needs pg_stat_statements preloaded and HypoPG installed on the server
# (scripts/test.sh does both); pg_stat_statements.max should be 5000 or more.
set -euo pipefail
cd "$(dirname "$0")/.."
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=dbperf_bench_pg500
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

if ! "${PSQL[@]}" "$PGURL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  echo "building $DB (500 tables x 5,000 rows)…" >&2
  "${PSQL[@]}" "$PGURL/postgres" -c "DROP DATABASE IF EXISTS ${DB}_build" -c "CREATE DATABASE ${DB}_build"
  "${PSQL[@]}" "$PGURL/${DB}_build" <<'SQL'
SET client_min_messages = warning;
SELECT setseed(0.5);
DO $$
BEGIN
  FOR n IN 1..500 LOOP
    EXECUTE format($f$
      CREATE TABLE t%1$s (
        id bigint PRIMARY KEY, a int NOT NULL, b int NOT NULL, c int NOT NULL,
        d text NOT NULL, e timestamptz NOT NULL, f int NOT NULL, g int NOT NULL,
        h numeric(10,2) NOT NULL, parent_id bigint REFERENCES t%1$s (id));
      INSERT INTO t%1$s (id, a, b, c, d, e, f, g, h)
      SELECT i, (random() * 5000)::int, (random() * 1000)::int, (random() * 4)::int,
             'name ' || (random() * 5000)::int,
             timestamptz '2024-01-01' + random() * interval '365 days',
             (random() * 100)::int, (random() * 50000)::int, round((random() * 1000)::numeric, 2)
      FROM generate_series(1, 5000) AS i;
      CREATE INDEX t%1$s_g_idx ON t%1$s (g);
    $f$, lpad(n::text, 3, '0'));
  END LOOP;
END $$;
VACUUM ANALYZE;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION IF NOT EXISTS hypopg;
SQL
  "${PSQL[@]}" "$PGURL/postgres" -c "ALTER DATABASE ${DB}_build RENAME TO $DB"
fi

echo "running 5,000 distinct statements x 3…" >&2
python3 - "$PGURL/$DB" <<'PY' | "${PSQL[@]}" -o /dev/null "$PGURL/$DB"
import random, sys
random.seed(7)
shapes = [
    "SELECT * FROM {t} WHERE a = {v}",
    "SELECT id FROM {t} WHERE b = {v} ORDER BY e DESC LIMIT 10",
    "SELECT count(*) FROM {t} WHERE c = {v} AND f > 50",
    "SELECT d FROM {t} WHERE id = {v}",
    "SELECT sum(h) FROM {t} WHERE g BETWEEN {v} AND {v} + 10",
    "SELECT a, b FROM {t} WHERE lower(d) = 'name {v}'",
    "SELECT * FROM {t} WHERE e >= '2024-03-01' AND e < '2024-03-02' AND f = {v} ORDER BY e LIMIT 50",
    "SELECT b, count(*) FROM {t} WHERE c = {v} GROUP BY b",
    "SELECT id, h FROM {t} WHERE parent_id = {v}",
    "UPDATE {t} SET f = f WHERE id = -{v}",
]
for rep in range(3):
    for n in range(1, 501):
        t = f"t{n:03d}"
        for s in shapes:
            print(s.format(t=t, v=random.randint(1, 4000)) + ";")
PY

seen=$("${PSQL[@]}" "$PGURL/$DB" -Atc "SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")
echo "pg_stat_statements entries for $DB: $seen" >&2

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/dbperf
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s, %M kB max RSS" "$bin" analyze --db "$PGURL/$DB" --top 100 --format json > /tmp/dbperf-pg-bench.json
done
python3 - <<'PY'
import json
r = json.load(open('/tmp/dbperf-pg-bench.json'))
w = r['workload']
print(f"statements {w['statements']}, planned {w['planned']}, indexes {len(r['indexes'])} "
      f"({sum(1 for i in r['indexes'] if i['verified'] == 'hypopg')} HypoPG-verified), findings {len(r['findings'])}")
for n in r['notes']:
    if n.startswith('indexes verified'):
        print(n)
PY
