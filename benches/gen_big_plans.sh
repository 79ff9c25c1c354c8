#!/usr/bin/env bash
# Generates the benchmark inputs for `cargo bench --bench explain`: a real
# EXPLAIN (ANALYZE, VERBOSE, BUFFERS) of a UNION ALL with thousands of
# branches, in text and in JSON, each at least 10 MB. Needs the local
# PostgreSQL (psql as postgres on 127.0.0.1). Output: benches/data/ (ignored
# by git; never committed).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p data
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres)
# JIT would compile an expression per branch (the plan's cost is far above
# jit_above_cost): minutes of compiling for a plan that runs in a second.
export PGOPTIONS="${PGOPTIONS:-} -c jit=off"
DB="${DBPERF_BENCH_DB:-dbperf_bench}"
"${PSQL[@]}" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
  || "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
"${PSQL[@]}" -d "$DB" <<'SQL'
CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, grp int NOT NULL, v text NOT NULL);
INSERT INTO items SELECT g, g % 97, md5(g::text) FROM generate_series(1, 50000) g ON CONFLICT DO NOTHING;
ANALYZE items;
SQL

# $1 branches, $2 format, $3 output. The UNION ALL is nested as a balanced
# tree of parentheses so the parser recurses log2(n) deep, not n deep;
# the planner flattens it into one Append.
make_plan() {
  local n=$1 fmt=$2 out=$3
  python3 - "$n" "$fmt" > "data/query_$fmt.sql" <<'PY'
import sys
n, fmt = int(sys.argv[1]), sys.argv[2]
def branch(i):
    return f"SELECT i.id, i.v FROM items i WHERE i.id = {i * 7 % 50000 + 1} AND i.grp >= 0"
def tree(lo, hi):
    if hi - lo == 1:
        return branch(lo)
    mid = (lo + hi) // 2
    return f"({tree(lo, mid)}) UNION ALL ({tree(mid, hi)})"
print(f"EXPLAIN (ANALYZE, VERBOSE, BUFFERS, FORMAT {fmt})")
print(tree(0, n) + ";")
PY
  "${PSQL[@]}" -d "$DB" -At -f "data/query_$fmt.sql" > "$out"
}

make_plan 34000 TEXT data/big_plan.txt
make_plan 7500 JSON data/big_plan.json
ls -l data/big_plan.txt data/big_plan.json
