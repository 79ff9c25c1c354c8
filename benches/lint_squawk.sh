#!/usr/bin/env bash
# Runs dbperf lint and squawk (pip install squawk-cli) on the hazard
# fixtures and prints, per file, the lines each flags with a lock or
# rewrite hazard. squawk's style rules (prefer-robust-stmts,
# require-statement-timeout, prefer-bigint-over-int, prefer-text-field,
# ban-drop-constraint) are left out: they are not hazards.
#
#   bash benches/lint_squawk.sh        (after cargo build --release)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dbperf="${DBPERF:-$root/target/release/dbperf}"
dir="$root/fixtures/migrations/hazards"
style='prefer-robust-stmts|require-statement-timeout|prefer-bigint-over-int|prefer-text-field|ban-drop-constraint'
printf '%-20s %8s %8s  %s\n' file dbperf squawk "squawk version: $(squawk --version)"
rules=non-concurrent-index,non-concurrent-drop-index,non-concurrent-reindex,constraint-builds-index,constraint-without-not-valid,set-not-null-without-check,not-null-column-without-default,rewriting-add-column,rewriting-type-change,serial-column,non-concurrent-detach-partition,exclusive-lock-command,missing-lock-timeout,concurrent-index-if-not-exists
# dbperf replays the whole set (so 0001's tables are known), then counts per file.
"$dbperf" lint "$dir" --no-config --fail-on never --format json --select "$rules" > /tmp/dbperf-squawk.json
for f in "$dir"/0*.sql; do
    name=$(basename "$f")
    ours=$(python3 -c 'import json,sys; print(len({f["location"]["line"] for f in json.load(open(sys.argv[1]))["findings"] if f["location"]["path"].endswith(sys.argv[2])}))' /tmp/dbperf-squawk.json "$name")
    # squawk's gcc reporter counts lines from 0.
    theirs=$( (NO_COLOR=1 squawk --reporter gcc "$f" 2>/dev/null || true) | grep -vE "$style" \
        | sed -nE 's/^[^:]+:([0-9]+):.*/\1/p' | sort -u | wc -l)
    printf '%-20s %8s %8s\n' "$name" "$ours" "$theirs"
done
