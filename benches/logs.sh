#!/usr/bin/env bash
# Side-by-side log digest throughput, one run, same files:
#   dbperf vs pgBadger (PostgreSQL stderr) and vs pt-query-digest (MariaDB slow log).
# Generates ~1.1 GB logs from the real fixtures into benches/data/ (gitignored)
# unless they exist; SIZE_MB=100 for a quick run. Prints MB/s and max RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1100}
command -v pgbadger >/dev/null && command -v pt-query-digest >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y pgbadger percona-toolkit >/dev/null
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q
BIN=$CARGO_TARGET_DIR/release/dbperf
mkdir -p benches/data
pg=benches/data/pg_$SIZE_MB.log
my=benches/data/mysql_$SIZE_MB.log
[ -s "$pg" ] || python3 benches/gen_log.py pg fixtures/logs/pg/a.log "$pg" "$SIZE_MB"
[ -s "$my" ] || python3 benches/gen_log.py mysql fixtures/logs/mysql/slow.log "$my" "$SIZE_MB"
run() { # label file cmd…
  local label=$1 file=$2; shift 2
  local mb; mb=$(( $(stat -c %s "$file") / 1000000 ))
  /usr/bin/time -f "%e %U %S %M" -o /tmp/dbperf-bench.time "$@" >/dev/null 2>&1
  read -r wall user sys rss < /tmp/dbperf-bench.time
  awk -v l="$label" -v mb="$mb" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
    printf "%-28s %6d MB  %7.1f s  %8.1f MB/s  %8.1f MB/s per CPU-second  RSS %6.1f MB\n", l, mb, w, mb / w, mb / (u + s), r / 1024 }'
}
echo "cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
run "dbperf (pg stderr)" "$pg" "$BIN" analyze --log "$pg" --format json
run "pgbadger -j $(nproc)" "$pg" pgbadger -q -j "$(nproc)" -f stderr --prefix '%m [%p] %q%u@%d ' -o /tmp/dbperf-pgbadger.html "$pg"
run "dbperf (mysql slow)" "$my" "$BIN" analyze --log "$my" --format json
run "pt-query-digest" "$my" pt-query-digest --limit '100%:10000' "$my"
