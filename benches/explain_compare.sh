#!/usr/bin/env bash
# Byte-compares two dbperf binaries on `explain`: every plan fixture
# (fixtures/plans/**), the generated big and flagged plans (benches/data/) and any
# further files given, in text, JSON, Markdown and HTML output, and coloured
# text for .txt/.json inputs; stdout, stderr and exit code must match.
# Usage: bash benches/explain_compare.sh BEFORE_BIN AFTER_BIN [FILE...]
set -u
before=$1
after=$2
shift 2
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
files=$( (find fixtures/plans -type f; ls benches/data/big_plan.txt benches/data/big_plan.json benches/data/flagged_*.txt 2>/dev/null; printf '%s\n' "$@") | sed '/^$/d' | sort -u)
runs=0
differ=0
for f in $files; do
  for mode in text json markdown html color; do
    case $mode in
      text) args=(explain "$f") ;;
      json) args=(explain --format json "$f") ;;
      markdown) args=(explain --format markdown "$f") ;;
      html) args=(explain --format html "$f") ;;
      color) case $f in *.txt | *.json) args=(--color always explain "$f") ;; *) continue ;; esac ;;
    esac
    "$before" "${args[@]}" >"$out/b.out" 2>"$out/b.err"
    eb=$?
    "$after" "${args[@]}" >"$out/a.out" 2>"$out/a.err"
    ea=$?
    runs=$((runs + 1))
    if ! cmp -s "$out/b.out" "$out/a.out" || ! cmp -s "$out/b.err" "$out/a.err" || [ "$eb" != "$ea" ]; then
      differ=$((differ + 1))
      echo "differs: $mode $f (exit $eb vs $ea)"
    fi
  done
done
echo "$runs runs over $(echo "$files" | wc -l) files: $differ differ"
[ "$differ" = 0 ]
