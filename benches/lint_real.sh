#!/usr/bin/env bash
# dbperf lint on the migration folders of real public projects, each with
# a different migration tool, checked against the catalog PostgreSQL builds
# from the same files:
#
#   harbor     goharbor/harbor       make/migrations/postgresql    golang-migrate
#   conductor  conductor-oss/conductor  postgres-persistence/.../migration_postgres  Flyway
#   atuin      atuinsh/atuin         crates/atuin-server-postgres/migrations  sqlx
#
# For each project: the folder at a pinned commit goes to
# benches/data/lint_real/<name>/ (gitignored; taken from a local mirror
# under $MIRRORS when there is one, else cloned from GitHub), its files are
# applied in the tool's order to a scratch database lint_real_<name> (each
# file in one transaction where the tool does so), the tables that existed
# before each file are recorded, then `dbperf lint` runs on the folder and
# every finding is printed beside the catalog fact that makes it true or
# false (benches/lint_real_check.py). Results are written up in
# benches/results/lint_real.md.
#
#   bash benches/lint_real.sh [name…]     (after cargo build --release)
#   PGURL=postgres://postgres@127.0.0.1:5432  DBPERF=target/release/dbperf
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dbperf="${DBPERF:-${CARGO_TARGET_DIR:-$root/target}/release/dbperf}"
pgurl="${PGURL:-postgres://postgres@127.0.0.1:5432}"
mirrors="${MIRRORS:-/work/.mirror}"
data="$root/benches/data/lint_real"
mkdir -p "$data"

# name  repo  commit  folder  tool
projects="harbor goharbor/harbor c50c7ddd6ea4e335a480b49c618281882ab7eec9 make/migrations/postgresql golang-migrate
conductor conductor-oss/conductor b54f0d4ee546c1053367e1c14405c5396c17bfb1 postgres-persistence/src/main/resources/db/migration_postgres flyway
atuin atuinsh/atuin 824c8716d82bed774ee6a83c683087ae77715814 crates/atuin-server-postgres/migrations sqlx"

# The folder at the pinned commit, into $data/<name>/migrations.
checkout() { # name repo commit folder
    local name=$1 repo=$2 commit=$3 folder=$4 git_dir
    git_dir="$mirrors/${repo/\//+}/repo"
    if [ ! -d "$git_dir" ]; then
        git_dir="$data/src/${repo/\//+}.git"
        [ -d "$git_dir" ] || git clone -q --bare --filter=blob:none "https://github.com/$repo" "$git_dir"
    fi
    rm -rf "$data/$name"
    mkdir -p "$data/$name"
    git --git-dir="$git_dir" archive "$commit" "$folder" | tar -x -C "$data/$name"
    mv "$data/$name/$folder" "$data/$name/migrations"
    # sqlx is known by the Cargo.toml of the crate around its migrations.
    if git --git-dir="$git_dir" cat-file -e "$commit:$(dirname "$folder")/Cargo.toml" 2>/dev/null; then
        git --git-dir="$git_dir" show "$commit:$(dirname "$folder")/Cargo.toml" > "$data/$name/Cargo.toml"
    fi
}

# The files in the order the tool applies them.
ordered() { # dir tool
    case $2 in
        golang-migrate) ls "$1" | grep -E '\.up\.sql$' | sort -n ;;
        # V<version>__…: versions compared part by part, numerically.
        flyway) ls "$1" | grep -E '^V[0-9._]+__.*\.sql$' \
            | sed -E 's/^V([0-9._]+)__/\1 &/' | sort -V -k1,1 | cut -d' ' -f2 ;;
        sqlx) ls "$1" | grep -E '^[0-9]+_.*\.sql$' | grep -v '\.down\.sql$' | sort ;;
    esac
}

# Whether the tool runs the file inside one transaction.
in_transaction() { # file tool
    case $2 in
        golang-migrate) return 1 ;;
        # Flyway runs a file without one when each of its statements is
        # one PostgreSQL refuses in a transaction (CONCURRENTLY, VACUUM …).
        flyway) python3 - "$1" <<'PY'
import re, sys
text = re.sub(r"--[^\n]*", "", open(sys.argv[1]).read())
stmts = [s.split() for s in text.split(";") if s.strip()]
non_tx = lambda w: (w[0].lower() == "create" and "concurrently" in [x.lower() for x in w[2:4]]) \
    or [x.lower() for x in w[:3]] == ["drop", "index", "concurrently"] \
    or w[0].lower() in ("reindex", "vacuum")
sys.exit(1 if stmts and all(non_tx(w) for w in stmts) else 0)
PY
        ;;
        sqlx) ! head -1 "$1" | grep -q -- '-- no-transaction' ;;
    esac
}

only=" $* "
while read -r name repo commit folder tool; do
    if [ -n "${*:-}" ] && [[ $only != *" $name "* ]]; then continue; fi
    echo "== $name ($tool, $repo@${commit:0:12})"
    checkout "$name" "$repo" "$commit" "$folder"
    dir="$data/$name/migrations"
    out="$data/$name/out"
    mkdir -p "$out/before"
    db="lint_real_$name"
    # A fresh database, or an emptied one (DROP DATABASE waits for every
    # backend of the server to answer a barrier, which a long query delays).
    if [ -z "$(psql -XAtq "$pgurl/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        psql -Xq "$pgurl/postgres" -c "CREATE DATABASE $db"
    fi
    psql -XAtq "$pgurl/$db" -c "SELECT format('DROP SCHEMA %I CASCADE;', nspname) FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'" \
        | psql -Xq "$pgurl/$db" 2>/dev/null >/dev/null
    psql -Xq "$pgurl/$db" -c "CREATE SCHEMA IF NOT EXISTS public"
    # The tool's own bookkeeping table, which some migrations change
    # (harbor adds a column to golang-migrate's).
    if [ "$tool" = golang-migrate ]; then
        psql -Xq "$pgurl/$db" -c "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
    fi
    applied=0 failed=0
    while read -r f; do
        # Tables and indexes that exist before this file runs.
        psql -XAtq "$pgurl/$db" -c "SELECT CASE WHEN c.relkind IN ('i','I') THEN 'index ' ELSE '' END || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','i','I') AND n.nspname NOT IN ('pg_catalog','information_schema','pg_toast') ORDER BY 1" > "$out/before/$f.txt"
        single=()
        if in_transaction "$dir/$f" "$tool"; then single=(-1); fi
        if psql -Xq "${single[@]}" -v ON_ERROR_STOP=1 "$pgurl/$db" -f "$dir/$f" > "$out/apply.log" 2>&1; then
            applied=$((applied + 1))
        else
            failed=$((failed + 1))
            echo "   apply failed: $f: $(grep -m1 ERROR "$out/apply.log" || tail -1 "$out/apply.log")"
        fi
    done < <(ordered "$dir" "$tool")
    echo "   applied $applied file(s) to $db, $failed failed"
    rc=0
    "$dbperf" lint "$dir" --no-config --fail-on never --format json > "$out/lint.json" 2> "$out/lint.err" || rc=$?
    if [ "$rc" != 0 ]; then echo "   dbperf lint exit $rc: $(head -1 "$out/lint.err")"; fi
    python3 "$root/benches/lint_real_check.py" "$out/lint.json" "$pgurl/$db" "$dir" "$out/before" || echo "   check failed"
done <<< "$projects"
