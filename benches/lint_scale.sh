#!/usr/bin/env bash
# dbperf lint on N tables (default 1,000, 10,000 and 50,000): all in one
# migration file, then one file per table. Inputs are generated at run time
# into benches/data/lint_scale (gitignored). Each table has a primary key, a
# foreign key to the table before it, an index on it for every other table
# and a `-- dbperf: rows=` line, so the replay, the schema rules and the
# statistics all work; each also adds a NOT NULL column to the table
# before it, a hazard when that table was made in another file. Prints wall
# time, CPU time (user + system: the figure to compare on a loaded machine)
# and max RSS per run; linear cost means 10x the tables take about 10x the
# time.
#   SIZES="1000 10000" DBPERF=target/debug/dbperf benches/lint_scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-1000 10000 50000}
if [ -z "${DBPERF:-}" ]; then
  cargo build --release -q
  DBPERF=${CARGO_TARGET_DIR:-target}/release/dbperf
fi
data=benches/data/lint_scale
echo "cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg), binary: $DBPERF"
gen() { # N DIR MODE(one|many)
  python3 - "$@" <<'PY'
import os, sys
n, out, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
def table(i):
    s = f"-- dbperf: rows={1000 * (i % 7 + 1)}\nCREATE TABLE t{i} (\n    id bigint PRIMARY KEY,\n"
    if i > 1:
        s += f"    t{i-1}_id bigint NOT NULL REFERENCES t{i-1} (id),\n"
    s += "    status text NOT NULL DEFAULT 'new',\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
    if i > 1 and i % 2 == 0:
        s += f"CREATE INDEX t{i}_t{i-1}_id_idx ON t{i} (t{i-1}_id);\n"
    if i > 1:
        # A change to the table before: a hazard when that table is in
        # another file (many), none when it is new in this one (one).
        s += f"ALTER TABLE t{i-1} ADD COLUMN note_{i} text NOT NULL;\n"
    return s
if mode == "one":
    with open(os.path.join(out, "0001_all.up.sql"), "w") as f:
        for i in range(1, n + 1):
            f.write(table(i))
else:
    for i in range(1, n + 1):
        with open(os.path.join(out, f"{i:06d}_t{i}.up.sql"), "w") as f:
            f.write(table(i))
PY
}
for n in $SIZES; do
  for mode in one many; do
    dir=$data/${mode}_$n
    rm -rf "$dir"
    gen "$n" "$dir" "$mode"
    /usr/bin/time -f "%e %U %S %M" -o /tmp/dbperf-lint-scale.time \
      "$DBPERF" lint "$dir" --no-config --fail-on never --format json >/dev/null || true
    read -r wall user sys rss < /tmp/dbperf-lint-scale.time
    printf '%6d tables, %-4s file(s): %8.2f s wall  %8.2f s CPU  RSS %7.1f MB\n' "$n" "$mode" "$wall" \
      "$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  done
done
