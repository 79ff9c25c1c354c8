#!/usr/bin/env bash
# dbperf lint on 1,000 migration files and 10,000 queries, generated at run
# time by benches/gen_lint.py into benches/data/lint (gitignored).
# N_FILES / N_QUERIES change the sizes. Prints wall time and max RSS of
# three runs (text and SARIF output).
set -euo pipefail
cd "$(dirname "$0")/.."
N_FILES=${N_FILES:-1000}
N_QUERIES=${N_QUERIES:-10000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q
BIN=$CARGO_TARGET_DIR/release/dbperf
data=benches/data/lint_${N_FILES}_${N_QUERIES}
rm -rf "$data"
python3 benches/gen_lint.py "$data" "$N_FILES" "$N_QUERIES"
echo "cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(ls "$data"/migrations/*.up.sql | wc -l) migration files, $(grep -c ';$' "$data/queries.sql") queries"
for format in text sarif text; do
  /usr/bin/time -f "%e %M" -o /tmp/dbperf-lint-bench.time \
    "$BIN" lint "$data/migrations" --queries "$data/queries.sql" --no-config --fail-on never --format "$format" >/dev/null
  read -r wall rss < /tmp/dbperf-lint-bench.time
  printf 'dbperf lint (%s): %6.3f s  RSS %6.1f MB\n' "$format" "$wall" "$(echo "$rss / 1024" | bc -l)"
done
