"""Checks each finding of `dbperf lint --format json` against the catalog
that PostgreSQL built from the same migrations (see lint_real.sh).

    python3 lint_real_check.py LINT.json PGURL MIGRATIONS_DIR BEFORE_DIR

Per finding it prints a verdict: `true` or `FALSE` where the catalog (or
the list of tables that existed before the finding's file ran) decides it,
`check` where a person has to read the statement. Then the catalog's own
unindexed foreign keys and key-less tables dbperf did not report.
"""
import json
import os
import re
import subprocess
import sys
from collections import Counter

lint_path, pgurl, mig_dir, before_dir = sys.argv[1:5]
doc = json.load(open(lint_path))


def sql(query):
    out = subprocess.run(["psql", "-XAtq", "-F", "\t", pgurl, "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def bare(name):
    return name.split(".")[-1].strip('"').lower()


# Foreign keys of the catalog, with whether some valid, non-partial index of
# the referencing table leads with the key's columns (in the key's order).
fks = {}
for table, cols, ok in sql("""
    SELECT c.conrelid::regclass::text,
           string_agg(a.attname, ',' ORDER BY k.n),
           EXISTS (SELECT 1 FROM pg_index i
                   WHERE i.indrelid = c.conrelid AND i.indisvalid AND i.indpred IS NULL
                     AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey)
    FROM pg_constraint c
    CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY k(attnum, n)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
    WHERE c.contype = 'f' AND c.conparentid = 0
    GROUP BY c.oid, c.conrelid, c.conkey"""):
    fks[(bare(table), cols.lower())] = ok == "t"
no_pk = {bare(t) for (t,) in sql("""
    SELECT c.oid::regclass::text FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema')
      AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p')""")}
indexes = {bare(i): d for i, d in sql("""
    SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
    WHERE indrelid::regclass::text NOT LIKE 'pg_%'""")}


def statement_at(path, line):
    """The statement starting at this line, up to its first `;`."""
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return ""
    text = " ".join(lines[line - 1:line + 30])
    return re.sub(r"\s+", " ", text.split(";")[0]).strip()


def existed_before(path, name, kind="table"):
    """Whether table (or index) `name` existed before file `path` ran."""
    f = os.path.join(before_dir, os.path.basename(path) + ".txt")
    if not os.path.exists(f):
        return None
    names = set()
    for line in open(f).read().splitlines():
        is_index = line.startswith("index ")
        if is_index == (kind == "index"):
            names.add(bare(line.split()[-1]))
    return bare(name) in names


# Index keys of the final catalog, by index name.
index_keys = {bare(i): k.split() for i, k in sql("""
    SELECT indexrelid::regclass::text, indkey::text FROM pg_index
    WHERE indrelid::regclass::text NOT LIKE 'pg_%'""")}


TABLE_OF = [
    r"^alter table (?:if exists )?(?:only )?([\w.\"]+)",
    r"^create (?:unique )?index (?:concurrently )?(?:if not exists )?(?:[\w\"]+ )?on (?:only )?([\w.\"]+)",
    r"^(?:lock table|lock|vacuum full|cluster|reindex table|reindex table concurrently) ([\w.\"]+)",
]
EXISTING_TABLE_RULES = {
    "non-concurrent-index", "constraint-builds-index", "constraint-without-not-valid",
    "set-not-null-without-check", "not-null-column-without-default", "rewriting-add-column",
    "rewriting-type-change", "non-concurrent-detach-partition", "exclusive-lock-command",
    "concurrent-index-if-not-exists", "serial-column",
}

verdicts = Counter()
reported_fks = set()
reported_no_pk = set()
for f in doc["findings"]:
    rule, msg, loc = f["rule"], f["message"], f.get("location") or {}
    path, line = loc.get("path"), loc.get("line")
    where = f"{os.path.basename(path)}:{line}" if path else str(loc)
    verdict, why = "check", ""
    if rule == "fk-without-index":
        m = re.search(r"Foreign key ([\w.\"]+)\((.+?)\) → ", msg)
        if m:
            key = (bare(m.group(1)), ",".join(c.strip().strip('"').lower() for c in m.group(2).split(",")))
            reported_fks.add(key)
            if key not in fks:
                verdict, why = "FALSE", "no such foreign key in the catalog"
            elif fks[key]:
                verdict, why = "FALSE", "the catalog has an index leading with it"
            else:
                verdict, why = "true", "catalog: no index leads with the key"
    elif rule == "no-primary-key":
        m = re.search(r"[Tt]able ([\w.\"]+)", msg)
        if m:
            reported_no_pk.add(bare(m.group(1)))
            ok = bare(m.group(1)) in no_pk
            verdict, why = ("true", "catalog: no primary key") if ok else ("FALSE", "catalog has a primary key (or it is a partition)")
    elif rule in EXISTING_TABLE_RULES and path:
        stmt = statement_at(path, line).lower()
        table = next((m.group(1) for p in TABLE_OF if (m := re.search(p, stmt))), None)
        if table:
            before = existed_before(path, table)
            if before is True:
                verdict, why = "true", f"{bare(table)} existed before {os.path.basename(path)}"
            elif before is False:
                verdict, why = "FALSE?", f"{bare(table)} did not exist before {os.path.basename(path)} (read the message)"
    elif rule == "non-concurrent-drop-index" and (m := re.search(r"DROP INDEX ([\w.\"]+) takes", msg)):
        before = existed_before(path, m.group(1), "index")
        verdict, why = ("true", "the index existed before the file") if before else ("FALSE", "no such index before the file: DROP INDEX IF EXISTS is a no-op")
    elif rule == "missing-lock-timeout":
        m = re.search(r"lock on ([\w.\"]+) with no", msg)
        if m:
            before = existed_before(path, m.group(1))
            verdict, why = ("true", f"{bare(m.group(1))} existed before the file") if before else ("FALSE", "the table did not exist before the file")
        else:
            verdict, why = "FALSE?", "names no table"
    elif rule == "duplicate-index":
        m = re.search(r"Index ([\w.\"]+) \(.*?\) on \S+ is (identical to|a left prefix of) ([\w.\"]+)", msg)
        if m:
            a, b = index_keys.get(bare(m.group(1))), index_keys.get(bare(m.group(3)))
            if a is None or b is None:
                verdict, why = "FALSE", "an index of the pair is not in the final catalog"
            elif b[:len(a)] == a:
                verdict, why = "true", f"catalog keys {a} / {b}"
            else:
                verdict, why = "FALSE", f"catalog keys {a} / {b}"
    elif rule == "not-understood":
        verdict = "refusal"
    verdicts[(rule, verdict)] += 1
    print(f"  {verdict:7} {f['severity']:7} {rule:34} {where:40} {msg[:150]}" + (f"  [{why}]" if why else ""))

missed_fk = [k for k, ok in fks.items() if not ok and k not in reported_fks]
missed_pk = sorted(no_pk - reported_no_pk)
print("  summary:", ", ".join(f"{r} {v} {n}" for (r, v), n in sorted(verdicts.items())) or "no findings")
print(f"  catalog: {len(fks)} foreign keys, {sum(1 for ok in fks.values() if not ok)} without a leading index; "
      f"{len(no_pk)} tables without a primary key; {len(indexes)} indexes")
for t, c in missed_fk:
    print(f"  MISSED  fk-without-index {t}({c})")
for t in missed_pk:
    print(f"  MISSED  no-primary-key {t}")
