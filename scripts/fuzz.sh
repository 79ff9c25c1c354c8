#!/bin/sh
# Runs every fuzz target of tests/fuzz.rs with a fixed budget of inputs
# (not part of CI's default run, which tries 32 per target).
#
#   scripts/fuzz.sh                 # 20,000 inputs per target, a fresh seed
#   DBPERF_FUZZ_CASES=200000 scripts/fuzz.sh
#   DBPERF_FUZZ_SEED=42 scripts/fuzz.sh    # repeat a run
#
# Crashing inputs (and each target's last input, for a stack overflow that
# kills the process) are kept in target/fuzz/. Exit status: 0 when no target
# crashed.
set -u
cd "$(dirname "$0")/.."
export DBPERF_FUZZ_CASES="${DBPERF_FUZZ_CASES:-20000}"
export DBPERF_FUZZ_SEED="${DBPERF_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
export DBPERF_FUZZ_SAVE="${DBPERF_FUZZ_SAVE:-$PWD/target/fuzz}"
mkdir -p "$DBPERF_FUZZ_SAVE"
echo "fuzz: $DBPERF_FUZZ_CASES inputs per target, seed $DBPERF_FUZZ_SEED, crashes in $DBPERF_FUZZ_SAVE"
# DBPERF_FUZZ_PROFILE=--release for more inputs per second (a longer build).
profile="${DBPERF_FUZZ_PROFILE:-}"
cargo test $profile --test fuzz --no-run || exit 2
status=0
for t in plan_text plan_json plan_yaml_xml plan_sqlite log_pg_stderr log_pg_csv log_pg_json log_mysql_slow migrations sql; do
    out=$(cargo test $profile --test fuzz -- --exact "fuzz_$t" --nocapture 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E "^fuzz |panicked|overflow"
    if [ $rc -ne 0 ]; then
        echo "fuzz_$t: CRASH (inputs in $DBPERF_FUZZ_SAVE)"
        status=1
    fi
done
exit $status
