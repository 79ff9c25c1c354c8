#!/usr/bin/env bash
# Benchmark: `dbperf analyze` on a 1 GB SQLite file with a workload of 1,000
# distinct statements (goal: under 5 s).
#
# Generates benches/data/sqlite/bench.db (about 1 GB; gitignored, never committed)
# with the sqlite3 shell if it is missing, and benches/data/sqlite/workload.sql, then
# times the release binary. Usage: bash benches/sqlite_analyze.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=benches/data/sqlite
db=$data/bench.db
mkdir -p "$data"
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell to build $db" >&2; exit 2; }

if [ ! -f "$db" ]; then
  echo "building $db (1 GB, about a minute)…" >&2
  start=$(date +%s)
  sqlite3 "$db.tmp" <<'SQL'
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL,
    country    TEXT NOT NULL,
    plan       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    bio        TEXT
);
CREATE UNIQUE INDEX users_email_idx ON users (email);
CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES users (id),
    kind     TEXT NOT NULL,
    status   INTEGER NOT NULL,
    at       TEXT NOT NULL,
    amount   REAL NOT NULL,
    payload  TEXT NOT NULL
);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO users
SELECT i, 'user' || i || '@example.com', 'C' || (i * 7 % 60), 'p' || (i % 5),
       datetime('2020-01-01', '+' || (i * 97 % 100000000) || ' seconds'),
       printf('%.100c', 'b')
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6500000)
INSERT INTO events
SELECT i, 1 + (i * 7919) % 1000000, 'k' || (i * 13 % 40), i % 7,
       datetime('2022-01-01', '+' || (i * 9) || ' seconds'),
       (i * 31 % 100000) / 100.0,
       printf('%.100c', 'x')
FROM n;
COMMIT;
ANALYZE;
SQL
  mv "$db.tmp" "$db"
  echo "built in $(( $(date +%s) - start )) s" >&2
fi
ls -l "$db" >&2

# 1,000 distinct statement shapes: column lists × predicates × order.
python3 - "$data/workload.sql" <<'PY'
import itertools, sys
cols = ["id", "user_id", "kind", "status", "at", "amount"]
lists = []
for r in range(1, len(cols) + 1):
    lists += [", ".join(c) for c in itertools.combinations(cols, r)]
preds = [
    "user_id = {n}", "kind = 'k{k}'", "status = {s} AND kind = 'k{k}'",
    "at >= '2023-0{m}-01' AND at < '2023-0{m}-02'", "user_id = {n} AND status = {s}",
    "amount > 999.{k}", "kind = 'k{k}' AND at >= '2023-0{m}-01'", "id = {n}",
]
orders = ["", " ORDER BY at DESC LIMIT 20", " ORDER BY amount", " ORDER BY id LIMIT 5"]
out = []
for i, (cl, p, o) in enumerate(itertools.product(lists, preds, orders)):
    if len(out) == 1000:
        break
    n, k, s, m = 1 + i * 7 % 1000000, i % 40, i % 7, 1 + i % 9
    q = f"SELECT {cl} FROM events WHERE {p.format(n=n, k=k, s=s, m=m)}{o};"
    out.append(f"-- calls: {1 + (i * 37) % 500}\n{q}")
# A few joins with the users table.
for i in range(8):
    out[i] = f"-- calls: 100\nSELECT u.email, e.amount FROM users u JOIN events e ON e.user_id = u.id WHERE u.country = 'C{i}' AND e.kind = 'k{i}' ORDER BY e.at{' DESC' * (i % 2)}{' LIMIT ' + str(i + 1) if i > 3 else ''};"
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
bin=$CARGO_TARGET_DIR/release/dbperf
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB max RSS" \
    "$bin" analyze --db "sqlite:$db" --queries "$data/workload.sql" --format json --output "$data/report.json"
done
python3 - "$data/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{len(r['queries'])} distinct statements, {len(r['findings'])} findings, {len(r['indexes'])} indexes")
for ix in r["indexes"][:5]:
    print(f"  {ix['rank']}. {ix['statement']}  (helps {len(ix['queries'])})")
PY
