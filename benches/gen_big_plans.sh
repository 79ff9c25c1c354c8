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

# The plans of `flagged_plan` in benches/explain.rs (an Append over n
# selective sequential scans, a seq-scan finding each), as files for the
# whole command (`dbperf explain`, callgrind, explain_compare.sh): the
# linearity check, 2,000 against 16,000 findings.
for n in 2000 16000; do
  python3 - "$n" > "data/flagged_$n.txt" <<'PY'
import sys
n = int(sys.argv[1])
out = [f"Append  (cost=0.00..{n * 1693}.00 rows={n} width=4) (actual time=0.010..{n}.000 rows={n} loops=1)"]
for i in range(n):
    out.append(f"  ->  Seq Scan on t{i}  (cost=0.00..1693.00 rows=1 width=4) (actual time=0.010..5.000 rows=1 loops=1)")
    out.append("        Filter: (x = 1)")
    out.append("        Rows Removed by Filter: 99999")
out.append("Planning Time: 0.100 ms")
out.append(f"Execution Time: {n * 5}.000 ms")
print("\n".join(out))
PY
done
ls -l data/flagged_2000.txt data/flagged_16000.txt
